class Item < ApplicationRecord
  belongs_to :warehouse
  belongs_to :category, optional: true
  has_many :stock_movements, dependent: :restrict_with_error

  # New items appear at the top of items/index, edits replace the row in
  # place, deletions remove it — for everyone watching this warehouse.
  broadcasts_to ->(item) { [item.warehouse, :items] }, inserts_by: :prepend

  # items/show listens on the item itself for its stock figures.
  after_update_commit :broadcast_stats, if: :saved_change_to_quantity_on_hand?

  validates :sku, presence: true, uniqueness: { scope: :warehouse_id, case_sensitive: false }
  validates :name, presence: true
  validates :quantity_on_hand, numericality: { only_integer: true, greater_than_or_equal_to: 0 }
  validates :reorder_level, numericality: { only_integer: true, greater_than_or_equal_to: 0 }

  scope :search, ->(query) {
    next all if query.blank?

    where("items.sku ILIKE :q OR items.name ILIKE :q", q: "%#{sanitize_sql_like(query)}%")
  }
  scope :needs_reorder, -> { where("quantity_on_hand <= reorder_level") }

  def below_reorder_level?
    quantity_on_hand <= reorder_level
  end

  private

  def broadcast_stats
    broadcast_replace_later_to self,
      target: ActionView::RecordIdentifier.dom_id(self, :stats),
      partial: "items/stats",
      locals: { item: self }
  end
end
