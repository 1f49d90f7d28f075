class Product < ApplicationRecord
  SORTS = {
    "newest" => { created_at: :desc },
    "price_low" => { price_cents: :asc },
    "price_high" => { price_cents: :desc }
  }.freeze

  belongs_to :category
  has_many :line_items, dependent: :restrict_with_error
  has_one_attached :photo do |attachable|
    attachable.variant :thumb, resize_to_limit: [160, 160]
    attachable.variant :card, resize_to_limit: [480, 480]
  end

  validates :name, :sku, presence: true
  validates :sku, uniqueness: { case_sensitive: false }
  validates :price_cents, numericality: { only_integer: true, greater_than_or_equal_to: 0 }
  validates :stock_count, numericality: { only_integer: true, greater_than_or_equal_to: 0 }

  scope :available, -> { where(active: true) }
  scope :in_category, ->(category_id) { category_id.present? ? where(category_id: category_id) : all }
  scope :search, ->(query) {
    next all if query.blank?

    where("products.name ILIKE :q OR products.sku ILIKE :q", q: "%#{sanitize_sql_like(query)}%")
  }

  after_update_commit :broadcast_availability, if: :saved_change_to_stock_count?

  def self.sorted_by(key)
    order(SORTS.fetch(key.to_s, SORTS["newest"]))
  end

  def price
    price_cents / 100.0
  end

  def in_stock?
    stock_count.positive?
  end

  def low_stock?
    stock_count.between?(1, 5)
  end

  private

  # Shoppers looking at products/show see stock change without reloading.
  def broadcast_availability
    broadcast_replace_later_to self,
      target: ActionView::RecordIdentifier.dom_id(self, :availability),
      partial: "products/availability",
      locals: { product: self }
  end
end
