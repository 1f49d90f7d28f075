import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="canned-responses"
// <aside data-controller="canned-responses"
//        data-canned-responses-reply-editor-outlet="#reply_form">
export default class extends Controller {
  static outlets = ["reply-editor"]

  insert({ params: { body } }) {
    if (!this.hasReplyEditorOutlet) return

    this.replyEditorOutlet.insert(body)
  }

  // The reply form is replaced after every send; Stimulus reconnects the
  // outlet automatically, we only keep the buttons' state in sync.
  replyEditorOutletConnected() {
    this.element.querySelectorAll("button").forEach((button) => (button.disabled = false))
  }

  replyEditorOutletDisconnected() {
    this.element.querySelectorAll("button").forEach((button) => (button.disabled = true))
  }
}
