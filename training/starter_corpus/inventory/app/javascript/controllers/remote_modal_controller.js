import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="remote-modal"
// For a <dialog> that arrives inside the layout's "modal" Turbo Frame.
// Closing the dialog empties the frame, so the next link starts clean.
export default class extends Controller {
  connect() {
    this.opener = document.activeElement

    // Rendered with `open` for no-JS visitors; reopen it as a true modal.
    if (this.element.open) this.element.close()
    this.element.showModal()
  }

  disconnect() {
    // A successful submit replaces the frame contents (removing us);
    // send focus back to the link that opened the modal.
    if (this.opener?.isConnected) this.opener.focus()
  }

  close(event) {
    event?.preventDefault()
    this.element.close()
  }

  dismiss() {
    const frame = this.element.closest("turbo-frame")
    if (frame) {
      frame.removeAttribute("src")
      frame.replaceChildren()
    }
  }
}
