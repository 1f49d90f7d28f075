-- Inline suggestions: debounce in insert mode → textDocument/inlineCompletion → ghost text;
-- typing the suggestion's next characters keeps it, anything else dismisses it (and tells the server).
-- Accepting inserts it and runs the item's command, which records the acceptance server-side.
local compat = require("hotwire_assist.compat")
local ghost = require("hotwire_assist.ghost")

local M = {}

M.client_name = "hotwire_assist"
M.dismissed_method = "hotwire-assist/dismissed"
M.debounce_ms = 75
M.enabled = true

---@class hotwire_assist.Suggestion
---@field client_id integer
---@field id string|nil       suggestion id (the item's command argument), for accept/dismiss reports
---@field command table|nil   LSP Command to run on accept
---@field text string         what is still to be inserted at (row, col)
---@field row integer         0-based
---@field col integer         byte column of the cursor
---@field end_col integer     byte column up to which accepting replaces text (>= col)
---@field tick integer        changedtick when drawn
---@field accepted boolean    part of it was accepted already

---@type table<integer, hotwire_assist.Suggestion>
local current = {}
---@type table<integer, {client_id: integer, id: integer}>
local pending = {}
local timers = {}
local suppressed = {} -- bufnr → changedtick after an explicit dismiss: no new request until the text changes

local function cursor()
  local pos = vim.api.nvim_win_get_cursor(0)
  return pos[1] - 1, pos[2]
end

local function in_insert_mode()
  return vim.api.nvim_get_mode().mode:sub(1, 1) == "i"
end

local function client_for(bufnr)
  for _, client in ipairs(compat.get_clients(bufnr, M.client_name)) do
    local caps = client.server_capabilities or {}
    if caps.inlineCompletionProvider then
      return client
    end
  end
  return nil
end

local function suggestion_id(command)
  if command and type(command.arguments) == "table" and type(command.arguments[1]) == "string" then
    return command.arguments[1]
  end
  return nil
end

--- The suggestion shown in a buffer, if any (a copy, for tests and statuslines).
function M.get(bufnr)
  local s = current[bufnr or vim.api.nvim_get_current_buf()]
  return s and vim.deepcopy(s) or nil
end

function M.is_visible(bufnr)
  return current[bufnr or vim.api.nvim_get_current_buf()] ~= nil
end

local function cancel_pending(bufnr)
  local p = pending[bufnr]
  pending[bufnr] = nil
  if p then
    local client = vim.lsp.get_client_by_id(p.client_id)
    if client and not compat.is_stopped(client) then
      compat.cancel_request(client, p.id)
    end
  end
end

local function run_command(s)
  local client = vim.lsp.get_client_by_id(s.client_id)
  if not (s.command and client) then
    return
  end
  compat.request(client, "workspace/executeCommand", {
    command = s.command.command,
    arguments = s.command.arguments,
  }, function() end)
end

--- Clear the suggestion without reporting anything (text changed under it, buffer gone).
local function drop(bufnr)
  current[bufnr] = nil
  ghost.clear(bufnr)
end

--- Dismiss the shown suggestion and tell the server (unless part of it was accepted).
function M.dismiss(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  cancel_pending(bufnr)
  local s = current[bufnr]
  if not s then
    return false
  end
  drop(bufnr)
  local client = vim.lsp.get_client_by_id(s.client_id)
  if client and s.id and not s.accepted and not compat.is_stopped(client) then
    compat.notify(client, M.dismissed_method, { id = s.id })
  end
  return true
end

local function render(bufnr, s)
  current[bufnr] = s
  ghost.show(bufnr, s.row, s.col, s.text)
end

--- Show the first usable item of an inline-completion result, if the cursor has not moved.
local function show_result(bufnr, client, req, result)
  if not result or vim.api.nvim_get_current_buf() ~= bufnr or not in_insert_mode() then
    return
  end
  local row, col = cursor()
  if row ~= req.row or col ~= req.col or vim.api.nvim_buf_get_changedtick(bufnr) ~= req.tick then
    return -- stale: the user typed or moved meanwhile
  end
  local items = result.items or result
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  for _, item in ipairs(items) do
    local text = type(item.insertText) == "table" and item.insertText.value or item.insertText
    local start_col, end_col = col, col
    if item.range and item.range.start.line == row and item.range["end"].line == row then
      start_col = compat.byte_index(line, item.range.start.character, client.offset_encoding)
      end_col = math.max(col, compat.byte_index(line, item.range["end"].character, client.offset_encoding))
    end
    local typed = line:sub(start_col + 1, col)
    if type(text) == "string" and start_col <= col and text:sub(1, #typed) == typed and #text > #typed then
      render(bufnr, {
        client_id = client.id,
        id = suggestion_id(item.command),
        command = item.command,
        text = text:sub(#typed + 1),
        row = row,
        col = col,
        end_col = end_col,
        tick = req.tick,
        accepted = false,
      })
      return
    end
  end
end

--- Ask the server for a suggestion at the cursor now.
function M.request(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  if not M.enabled or vim.api.nvim_get_current_buf() ~= bufnr or not in_insert_mode() then
    return false
  end
  local client = client_for(bufnr)
  if not client then
    return false
  end
  cancel_pending(bufnr)
  local row, col = cursor()
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local req = { row = row, col = col, tick = vim.api.nvim_buf_get_changedtick(bufnr) }
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = { line = row, character = compat.char_index(line, col, client.offset_encoding) },
    context = { triggerKind = 2 }, -- Automatic
  }
  local ok, id = compat.request(client, "textDocument/inlineCompletion", params, function(err, result)
    if pending[bufnr] and pending[bufnr].id == req.id then
      pending[bufnr] = nil
    end
    if not err then
      show_result(bufnr, client, req, result)
    end
  end, bufnr)
  if ok and id then
    req.id = id
    pending[bufnr] = { client_id = client.id, id = id }
  end
  return ok
end

--- Request after the debounce delay (restarts the delay on every call).
function M.schedule(bufnr)
  local timer = timers[bufnr]
  if not timer then
    timer = compat.uv.new_timer()
    timers[bufnr] = timer
  end
  timer:stop()
  timer:start(
    M.debounce_ms,
    0,
    vim.schedule_wrap(function()
      if vim.api.nvim_buf_is_valid(bufnr) then
        M.request(bufnr)
      end
    end)
  )
end

--- Typed characters that match the suggestion's start shorten it instead of dismissing it.
local function advance(bufnr, s, row, col, tick)
  if row ~= s.row or col <= s.col then
    return false
  end
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local typed = line:sub(s.col + 1, col)
  if s.text:sub(1, #typed) ~= typed then
    return false
  end
  if #typed == #s.text then -- typed it all: that is an acceptance
    drop(bufnr)
    if not s.accepted then
      run_command(s)
    end
    return true
  end
  s.text = s.text:sub(#typed + 1)
  s.col, s.end_col, s.tick = col, math.max(col, s.end_col + #typed), tick
  render(bufnr, s)
  return true
end

--- TextChangedI / CursorMovedI: keep, shorten or dismiss the suggestion, then maybe ask again.
function M.on_change(bufnr)
  local row, col = cursor()
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local s = current[bufnr]
  if s and s.tick == tick and s.row == row and s.col == col then
    return
  end
  if suppressed[bufnr] == tick then
    return
  end
  suppressed[bufnr] = nil
  if s and advance(bufnr, s, row, col, tick) then
    return
  end
  M.dismiss(bufnr)
  M.schedule(bufnr)
end

--- Insert the whole suggestion (or only its next word); returns false when none is shown.
function M.accept(opts)
  opts = opts or {}
  local bufnr = vim.api.nvim_get_current_buf()
  local s = current[bufnr]
  if not s then
    return false
  end
  local part = s.text
  if opts.word then
    part = s.text:match("^\n[ \t]*") or s.text:match("^%s*[%w_]+") or s.text:match("^%s*[^%w_%s]+") or s.text
  end
  local lines = vim.split(part, "\n", { plain = true })
  local end_col = part == s.text and s.end_col or s.col
  vim.api.nvim_buf_set_text(bufnr, s.row, s.col, s.row, end_col, lines)
  local row = s.row + #lines - 1
  local col = (#lines == 1 and s.col or 0) + #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { row + 1, col })
  if not s.accepted then
    run_command(s)
    s.accepted = true
  end
  local rest = s.text:sub(#part + 1)
  if rest == "" then
    drop(bufnr)
  else
    s.text, s.row, s.col, s.end_col = rest, row, col, col
    s.tick = vim.api.nvim_buf_get_changedtick(bufnr)
    render(bufnr, s)
  end
  return true
end

--- <C-]>: dismiss and stay quiet until the text changes.
function M.dismiss_explicitly()
  local bufnr = vim.api.nvim_get_current_buf()
  if not M.dismiss(bufnr) then
    return false
  end
  suppressed[bufnr] = vim.api.nvim_buf_get_changedtick(bufnr)
  return true
end

--- Stop tracking a buffer (wiped out, detached).
function M.forget(bufnr)
  cancel_pending(bufnr)
  drop(bufnr)
  suppressed[bufnr] = nil
  local timer = timers[bufnr]
  timers[bufnr] = nil
  if timer then
    timer:stop()
    timer:close()
  end
end

return M
