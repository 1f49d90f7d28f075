import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="todo-form"
// Shows how many characters are left in the title and clears the form after a
// successful submission.
export default class extends Controller {
  static targets = ["input", "counter"]
  static values = { maxLength: { type: Number, default: 140 } }

  connect() {
    this.count()
  }

  // input->todo-form#count
  count() {
    const remaining = this.maxLengthValue - this.inputTarget.value.length
    this.counterTarget.textContent = `${remaining} of ${this.maxLengthValue} characters left`
    this.counterTarget.classList.toggle("field__hint--over", remaining < 0)
  }

  // turbo:submit-end->todo-form#reset
  reset(event) {
    if (!event.detail.success) return

    this.element.reset()
    this.count()
  }
}
