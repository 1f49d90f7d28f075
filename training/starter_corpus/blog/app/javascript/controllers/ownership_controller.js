import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="ownership"
// Partials delivered over Turbo Streams are rendered without a session, so
// controls meant for the author are shipped hidden and revealed here.
// This is presentation only: the server still scopes deletes to Current.user.
export default class extends Controller {
  static targets = ["ownerOnly"]
  static values = { authorId: Number }

  ownerOnlyTargetConnected(element) {
    element.hidden = !this.isOwner
  }

  get isOwner() {
    const meta = document.querySelector('meta[name="current-user-id"]')
    if (!meta || meta.content === "") return false

    return Number(meta.content) === this.authorIdValue
  }
}
