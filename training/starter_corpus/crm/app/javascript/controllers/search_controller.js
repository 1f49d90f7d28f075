import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="search"
// Debounced search-as-you-type. The form targets a Turbo Frame, so only the
// results are swapped; the count is announced from a live region outside it.
export default class extends Controller {
  static targets = ["form", "input", "status", "results"]
  static values = {
    delay: { type: Number, default: 300 },
    minLength: { type: Number, default: 2 }
  }

  disconnect() {
    clearTimeout(this.timeout)
  }

  queue() {
    clearTimeout(this.timeout)
    this.timeout = setTimeout(() => this.submit(), this.delayValue)
  }

  submit() {
    clearTimeout(this.timeout)
    const length = this.inputTarget.value.trim().length
    if (length > 0 && length < this.minLengthValue) return

    this.formTarget.requestSubmit()
  }

  clear(event) {
    if (this.inputTarget.value === "") return

    event.preventDefault()
    this.inputTarget.value = ""
    this.submit()
  }

  announce() {
    const count = this.resultsTarget.querySelector("[data-result-count]")?.dataset.resultCount
    if (count === undefined) return

    this.statusTarget.textContent = count === "1" ? "1 contact found" : `${count} contacts found`
  }
}
