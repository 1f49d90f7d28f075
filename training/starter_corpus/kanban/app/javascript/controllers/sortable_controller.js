import { Controller } from "@hotwired/stimulus"
import { Turbo } from "@hotwired/turbo-rails"

// Connects to data-controller="sortable" (one instance per column).
// The card being dragged is shared between instances so cards can move
// across columns. The server answers with a Turbo Stream that updates the
// counters; the DOM order itself is already correct by then.
let draggedItem = null

export default class extends Controller {
  static targets = ["item", "footer"]
  static values = { url: String }
  static classes = ["dragging", "over"]

  itemTargetConnected(item) {
    item.setAttribute("draggable", "true")
  }

  start(event) {
    draggedItem = event.currentTarget
    event.dataTransfer.effectAllowed = "move"
    event.dataTransfer.setData("text/plain", draggedItem.dataset.cardId)
    requestAnimationFrame(() => draggedItem?.classList.add(this.draggingClass))
  }

  end(event) {
    draggedItem?.classList.remove(this.draggingClass)
    draggedItem = null

    // Dropped outside any column after we had already moved it around: resync.
    if (event.dataTransfer.dropEffect === "none") this.reload()
  }

  over(event) {
    if (!draggedItem) return

    event.preventDefault()
    event.dataTransfer.dropEffect = "move"
    this.element.classList.add(this.overClass)

    const next = this.itemBelow(event.clientY)
    if (next) {
      if (next !== draggedItem.nextElementSibling) this.element.insertBefore(draggedItem, next)
    } else {
      this.insertLast(draggedItem)
    }
  }

  leave(event) {
    if (!this.element.contains(event.relatedTarget)) this.element.classList.remove(this.overClass)
  }

  drop(event) {
    event.preventDefault()
    this.element.classList.remove(this.overClass)
    if (draggedItem) this.persist(draggedItem)
  }

  moveUp(event) {
    const item = event.currentTarget
    const previous = this.itemTargets[this.itemTargets.indexOf(item) - 1]
    if (!previous) return

    event.preventDefault()
    this.moveKeepingFocus(() => this.element.insertBefore(item, previous))
    this.persist(item)
  }

  moveDown(event) {
    const item = event.currentTarget
    const next = this.itemTargets[this.itemTargets.indexOf(item) + 1]
    if (!next) return

    event.preventDefault()
    this.moveKeepingFocus(() => next.after(item))
    this.persist(item)
  }

  async persist(item) {
    const response = await fetch(this.urlValue, {
      method: "PATCH",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "text/vnd.turbo-stream.html",
        "X-CSRF-Token": this.csrfToken
      },
      body: JSON.stringify({
        card_position: { card_id: item.dataset.cardId, position: this.itemTargets.indexOf(item) }
      })
    })

    const contentType = response.headers.get("Content-Type") || ""
    if (contentType.includes("text/vnd.turbo-stream.html")) {
      // Also used for conflicts: the server answers with a "refresh" action.
      Turbo.renderStreamMessage(await response.text())
    } else if (!response.ok) {
      this.reload()
    }
  }

  // Moving a node in the DOM blurs whatever was focused inside it.
  moveKeepingFocus(move) {
    const focused = document.activeElement
    move()
    focused?.focus()
  }

  reload() {
    Turbo.visit(window.location.href, { action: "replace" })
  }

  itemBelow(y) {
    return this.itemTargets.find((item) => {
      if (item === draggedItem) return false
      const box = item.getBoundingClientRect()
      return y < box.top + box.height / 2
    })
  }

  insertLast(item) {
    if (this.hasFooterTarget) {
      this.element.insertBefore(item, this.footerTarget)
    } else {
      this.element.append(item)
    }
  }

  get csrfToken() {
    return document.querySelector('meta[name="csrf-token"]')?.content
  }
}
