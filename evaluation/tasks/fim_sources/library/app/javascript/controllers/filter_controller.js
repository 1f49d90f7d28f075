import { Controller } from "@hotwired/stimulus"

// Filters the book list client-side while the user types; the server search stays the fallback.
export default class extends Controller {
  static targets = ["input", "item", "empty"]
  static values = { minLength: { type: Number, default: 2 } }

  filter() {
    const query = this.inputTarget.value.trim().toLowerCase()
    let shown = 0
    this.itemTargets.forEach((item) => {
      const match = query.length < this.minLengthValue || item.textContent.toLowerCase().includes(query)
      item.hidden = !match
      if (match) shown += 1
    })
    this.emptyTarget.hidden = shown > 0
  }

  reset() {
    this.inputTarget.value = ""
    this.filter()
  }
}
