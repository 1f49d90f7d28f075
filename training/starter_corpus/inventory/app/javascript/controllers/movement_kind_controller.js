import { Controller } from "@hotwired/stimulus"

const HINTS = {
  receipt: "Units received. Always added to stock.",
  issue: "Units taken out. Always subtracted from stock.",
  adjustment: "Use a negative number to write stock off, positive to add."
}

// Connects to data-controller="movement-kind"
export default class extends Controller {
  static targets = ["quantity", "hint"]
  static values = { kind: { type: String, default: "receipt" } }

  select(event) {
    this.kindValue = event.target.value
  }

  kindValueChanged(kind) {
    if (this.hasHintTarget) this.hintTarget.textContent = HINTS[kind] ?? ""

    if (!this.hasQuantityTarget) return
    if (kind === "adjustment") {
      this.quantityTarget.removeAttribute("min")
    } else {
      this.quantityTarget.min = "1"
    }
  }
}
