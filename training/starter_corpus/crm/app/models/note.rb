class Note < ApplicationRecord
  belongs_to :contact
  belongs_to :author, class_name: "User"

  validates :body, presence: true, length: { maximum: 5_000 }

  # Create → prepend into the contact's notes list, update → replace,
  # destroy → remove; all on the contact-scoped, signed stream.
  broadcasts_to ->(note) { [note.contact, :notes] },
    inserts_by: :prepend,
    target: ->(note) { ActionView::RecordIdentifier.dom_id(note.contact, :notes) }

  scope :newest_first, -> { order(pinned: :desc, created_at: :desc) }
end
