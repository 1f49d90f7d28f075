-- Ghost text: draws a suggestion after the cursor with extmarks and clears it.
-- First line: inline virtual text (0.10+), or overlay/eol virtual text on older versions;
-- further lines: virt_lines below the cursor line.
local compat = require("hotwire_assist.compat")

local M = {}

M.ns = vim.api.nvim_create_namespace("hotwire_assist_ghost")
M.hl_group = "HotwireAssistGhost"

vim.api.nvim_set_hl(0, M.hl_group, { link = "Comment", default = true })

--- Draw `text` at (row, col) (0-based row, byte col); returns the extmark id.
function M.show(bufnr, row, col, text)
  M.clear(bufnr)
  local lines = vim.split(text, "\n", { plain = true })
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local opts = { hl_mode = "combine", priority = 200 }
  if lines[1] ~= "" then
    opts.virt_text = { { lines[1], M.hl_group } }
    if compat.nvim_0_10 then
      opts.virt_text_pos = "inline"
    elseif col >= #line then
      opts.virt_text_pos = "overlay" -- at the line end an overlay covers nothing
    else
      opts.virt_text_pos = "eol" -- mid-line on old versions: a hint after the line, never hiding text
    end
  end
  if #lines > 1 then
    opts.virt_lines = {}
    for i = 2, #lines do
      table.insert(opts.virt_lines, { { lines[i], M.hl_group } })
    end
  end
  return vim.api.nvim_buf_set_extmark(bufnr, M.ns, row, math.min(col, #line), opts)
end

function M.clear(bufnr)
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, M.ns, 0, -1)
  end
end

--- The ghost text currently drawn in a buffer (for tests and the statusline): text, row, col.
function M.get(bufnr)
  local marks = vim.api.nvim_buf_get_extmarks(bufnr, M.ns, 0, -1, { details = true })
  local mark = marks[1]
  if not mark then
    return nil
  end
  local details = mark[4]
  local parts = { details.virt_text and details.virt_text[1][1] or "" }
  for _, vl in ipairs(details.virt_lines or {}) do
    table.insert(parts, vl[1][1])
  end
  return { text = table.concat(parts, "\n"), row = mark[2], col = mark[3], pos = details.virt_text_pos }
end

return M
