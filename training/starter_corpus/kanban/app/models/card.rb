class Card < ApplicationRecord
  belongs_to :column, touch: true
  belongs_to :assignee, class_name: "User", optional: true
  has_one :board, through: :column

  validates :title, presence: true, length: { maximum: 140 }

  before_create :place_last

  # Positions are zero-based and contiguous within a column.
  def move_to(new_column, new_position)
    transaction do
      column.cards.where("position > ?", position).update_all("position = position - 1")

      new_position = new_position.clamp(0, new_column.cards.where.not(id: id).count)
      new_column.cards.where(position: new_position..).where.not(id: id)
        .update_all("position = position + 1")

      update!(column: new_column, position: new_position)
    end
  end

  def duplicate!
    transaction do
      column.cards.where("position > ?", position).update_all("position = position + 1")
      column.cards.create!(
        title: "#{title} (copy)",
        description: description,
        due_on: due_on,
        assignee: assignee,
        position: position + 1
      )
    end
  end

  def overdue?
    due_on.present? && due_on < Date.current
  end

  private

  def place_last
    self.position ||= column.cards.count
  end
end
