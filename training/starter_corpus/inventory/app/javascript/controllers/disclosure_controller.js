import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="disclosure"
// The panel starts visible in the HTML so it works without JS; once
// connected, openValueChanged runs with the default and collapses it.
export default class extends Controller {
  static targets = ["button", "panel"]
  static values = { open: { type: Boolean, default: false } }

  toggle() {
    this.openValue = !this.openValue
  }

  openValueChanged(open) {
    this.buttonTarget.setAttribute("aria-expanded", open.toString())
    this.panelTarget.hidden = !open
  }
}
