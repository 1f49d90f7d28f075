import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="char-counter"
export default class extends Controller {
  static targets = ["input", "output"]
  static values = { max: Number }
  static classes = ["over"]

  connect() {
    this.update()
  }

  update() {
    const remaining = this.maxValue - this.inputTarget.value.length

    this.outputTarget.textContent = remaining >= 0
      ? `${remaining} characters left`
      : `${Math.abs(remaining)} characters over the limit`

    if (this.hasOverClass) {
      this.outputTarget.classList.toggle(this.overClass, remaining < 0)
    }
    this.inputTarget.setAttribute("aria-invalid", remaining < 0 ? "true" : "false")
  }
}
