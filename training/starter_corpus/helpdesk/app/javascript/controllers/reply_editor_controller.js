import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="reply-editor" (the reply <form>)
export default class extends Controller {
  static targets = ["input"]

  // Called from canned-responses through its outlet.
  insert(text) {
    const input = this.inputTarget
    const { selectionStart, selectionEnd, value } = input
    const before = value.slice(0, selectionStart)
    const after = value.slice(selectionEnd)
    const spacer = before && !before.endsWith("\n") ? "\n\n" : ""

    input.value = `${before}${spacer}${text}${after}`
    const caret = before.length + spacer.length + text.length
    input.setSelectionRange(caret, caret)
    input.focus()
    input.dispatchEvent(new Event("input", { bubbles: true }))
  }

  submit(event) {
    event.preventDefault()
    if (this.inputTarget.value.trim() === "") return

    this.element.requestSubmit()
  }
}
