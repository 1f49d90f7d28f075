import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="quantity"
// <button data-action="quantity#step" data-quantity-step-param="1">
export default class extends Controller {
  static targets = ["input"]

  step({ params: { step } }) {
    const input = this.inputTarget
    const min = Number(input.min || 0)
    const max = Number(input.max || Infinity)
    const next = Math.min(Math.max(Number(input.value || 0) + step, min), max)

    if (next === Number(input.value)) return

    input.value = next
    // Let other controllers (autosubmit) react as if the user typed it.
    input.dispatchEvent(new Event("change", { bubbles: true }))
  }

  inputTargetConnected(input) {
    input.inputMode = "numeric"
  }
}
