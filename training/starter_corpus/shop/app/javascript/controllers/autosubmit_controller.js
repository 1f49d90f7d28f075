import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="autosubmit"
// Submits the form a moment after the user stops typing. The request goes
// through Turbo, so the form's data-turbo-frame decides what gets replaced.
export default class extends Controller {
  static values = { delay: { type: Number, default: 300 } }

  disconnect() {
    clearTimeout(this.timeout)
  }

  submit() {
    clearTimeout(this.timeout)
    this.timeout = setTimeout(() => this.submitNow(), this.delayValue)
  }

  submitNow() {
    clearTimeout(this.timeout)
    // requestSubmit fires the submit event (and validation), unlike form.submit()
    this.element.requestSubmit()
  }

  delayValueChanged(current, previous) {
    if (previous !== undefined && this.timeout) this.submit()
  }
}
