from hotwire_assist.core.dedupe import NearDuplicateIndex, near_duplicates

VIEW = """<%= turbo_frame_tag dom_id(todo) do %>
  <div class="todo">
    <%= link_to todo.title, edit_todo_path(todo) %>
    <%= button_to "Delete", todo_path(todo), method: :delete, form: { data: { turbo_confirm: "Sure?" } } %>
  </div>
<% end %>
"""


def test_reindented_code_is_a_near_duplicate_but_other_code_is_not():
    reindented = VIEW.replace("  ", "    ")
    other = "import { Controller } from '@hotwired/stimulus'\nexport default class extends Controller {}\n"
    dups = near_duplicates([("a", VIEW), ("b", reindented), ("c", other)])
    assert dups == [("b", "a")]


def test_index_rejects_reused_keys_and_counts_entries():
    index = NearDuplicateIndex(threshold=0.8)
    assert index.add_if_new("x", VIEW) is None
    assert index.add_if_new("y", VIEW) == "x"
    assert len(index) == 1
