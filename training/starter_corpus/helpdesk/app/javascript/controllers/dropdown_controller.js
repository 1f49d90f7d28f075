import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="dropdown"
// Menu button pattern: Enter/Space/ArrowDown open the menu, arrows move
// between items, Home/End jump, Escape closes and returns focus.
export default class extends Controller {
  static targets = ["button", "menu", "item"]

  connect() {
    this.buttonTarget.hidden = false
    this.close()
  }

  toggle() {
    this.isOpen ? this.close() : this.open()
  }

  open(focusIndex = 0) {
    this.menuTarget.hidden = false
    this.buttonTarget.setAttribute("aria-expanded", "true")
    this.focusItem(focusIndex)
  }

  close({ restoreFocus = false } = {}) {
    this.menuTarget.hidden = true
    this.buttonTarget.setAttribute("aria-expanded", "false")
    if (restoreFocus) this.buttonTarget.focus()
  }

  openWithKeyboard(event) {
    if (!["ArrowDown", "ArrowUp"].includes(event.key)) return

    event.preventDefault()
    this.open(event.key === "ArrowUp" ? this.enabledItems.length - 1 : 0)
  }

  navigate(event) {
    const items = this.enabledItems
    const index = items.indexOf(document.activeElement)

    switch (event.key) {
      case "ArrowDown": this.focusItem((index + 1) % items.length); break
      case "ArrowUp": this.focusItem((index - 1 + items.length) % items.length); break
      case "Home": this.focusItem(0); break
      case "End": this.focusItem(items.length - 1); break
      case "Escape":
      case "Tab":
        this.close({ restoreFocus: event.key === "Escape" })
        return
      default:
        return
    }
    event.preventDefault()
  }

  closeOnClickOutside(event) {
    if (this.isOpen && !this.element.contains(event.target)) this.close()
  }

  focusItem(index) {
    this.enabledItems[index]?.focus()
  }

  get enabledItems() {
    return this.itemTargets.filter((item) => !item.disabled)
  }

  get isOpen() {
    return this.buttonTarget.getAttribute("aria-expanded") === "true"
  }
}
