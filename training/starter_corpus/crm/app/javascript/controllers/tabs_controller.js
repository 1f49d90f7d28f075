import { Controller } from "@hotwired/stimulus"

// Connects to data-controller="tabs"
// WAI-ARIA tabs with automatic activation: arrows move and select,
// Home/End jump to the first/last tab.
export default class extends Controller {
  static targets = ["tablist", "tab", "panel"]
  static values = { index: { type: Number, default: 0 } }
  static classes = ["active"]

  connect() {
    this.tablistTarget.hidden = false
  }

  select({ params: { index } }) {
    this.indexValue = index
  }

  navigate(event) {
    const last = this.tabTargets.length - 1
    const keys = {
      ArrowRight: this.indexValue === last ? 0 : this.indexValue + 1,
      ArrowLeft: this.indexValue === 0 ? last : this.indexValue - 1,
      Home: 0,
      End: last
    }
    if (!(event.key in keys)) return

    event.preventDefault()
    this.indexValue = keys[event.key]
    this.tabTargets[this.indexValue].focus()
  }

  indexValueChanged(index) {
    this.tabTargets.forEach((tab, i) => {
      const selected = i === index
      tab.setAttribute("aria-selected", selected.toString())
      tab.tabIndex = selected ? 0 : -1
      if (this.hasActiveClass) tab.classList.toggle(this.activeClass, selected)
    })
    this.panelTargets.forEach((panel, i) => {
      panel.hidden = i !== index
    })
  }
}
