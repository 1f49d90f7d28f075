class Event < ApplicationRecord
  has_many :tickets, dependent: :destroy
  belongs_to :venue

  validates :name, :starts_at, presence: true
  validates :capacity, numericality: { greater_than: 0 }

  broadcasts_refreshes

  def seats_left
    capacity - tickets.sum(:quantity)
  end

  def sold_out?
    seats_left <= 0
  end
end
