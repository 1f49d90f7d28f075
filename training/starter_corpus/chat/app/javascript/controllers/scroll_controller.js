import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="scroll" on the message log.
// Keeps the newest message in view, unless the reader has scrolled up to
// read history. Older pages loaded above rely on CSS scroll anchoring
// (overflow-anchor) so the view doesn't jump.
export default class extends Controller {
  static targets = ["message"]
  static values = { threshold: { type: Number, default: 120 } }

  connect() {
    this.scrollToBottom()
  }

  messageTargetConnected(message) {
    const distance = this.element.scrollHeight - this.element.scrollTop - this.element.clientHeight
    if (distance - message.offsetHeight <= this.thresholdValue) {
      requestAnimationFrame(() => this.scrollToBottom())
    }
  }

  scrollToBottom() {
    this.element.scrollTop = this.element.scrollHeight
  }
}
