import { Controller } from "@hotwired/stimulus"

export default class extends Controller {
  static targets = ["tier", "quantity", "total"]
  static values = { prices: Object, currency: { type: String, default: "EUR" } }

  connect() {
    this.update()
  }

  update() {
    const unit = this.pricesValue[this.tierTarget.value] || 0
    const quantity = parseInt(this.quantityTarget.value, 10) || 0
    this.totalTarget.textContent = this.format(unit * quantity)
  }

  format(amount) {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: this.currencyValue }).format(amount)
  }
}
