import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="message"
// Messages are rendered once for everybody (often in a broadcast job), so
// "is this mine?" is decided in the browser from the current-user meta tag.
export default class extends Controller {
  static targets = ["ownerActions"]
  static values = { authorId: Number }
  static classes = ["own"]

  connect() {
    if (!this.isOwn) return

    this.element.classList.add(this.ownClass)
    this.ownerActionsTargets.forEach((actions) => (actions.hidden = false))
  }

  get isOwn() {
    return this.currentUserId !== null && this.currentUserId === this.authorIdValue
  }

  get currentUserId() {
    const content = document.head.querySelector('meta[name="current-user-id"]')?.content
    return content ? Number(content) : null
  }
}
