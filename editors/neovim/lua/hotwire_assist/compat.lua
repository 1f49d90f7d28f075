-- Small shims over the Neovim APIs that changed between 0.7 (Debian) and 0.11+.
local M = {}

local has = function(feature)
  return vim.fn.has(feature) == 1
end

M.nvim_0_10 = has("nvim-0.10")
M.nvim_0_11 = has("nvim-0.11")

local uv = vim.uv or vim.loop
M.uv = uv

-- Client methods became `client:method(...)` in 0.11; before, they were `client.method(...)`.
local function call(client, name, ...)
  if M.nvim_0_11 then
    return client[name](client, ...)
  end
  return client[name](...)
end

--- Send a request; returns ok, request_id.
function M.request(client, method, params, handler, bufnr)
  return call(client, "request", method, params, handler, bufnr)
end

--- Blocking request; returns {result=, err=} or nil on timeout.
function M.request_sync(client, method, params, timeout_ms, bufnr)
  return call(client, "request_sync", method, params, timeout_ms, bufnr)
end

function M.notify(client, method, params)
  return call(client, "notify", method, params)
end

function M.cancel_request(client, id)
  return call(client, "cancel_request", id)
end

function M.is_stopped(client)
  return call(client, "is_stopped")
end

function M.stop(client, force)
  return call(client, "stop", force)
end

--- Clients attached to a buffer with the given name.
function M.get_clients(bufnr, name)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr, name = name })
  end
  local out = {}
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if client.name == name then
      table.insert(out, client)
    end
  end
  return out
end

--- All clients with the given name.
function M.all_clients(name)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = name })
  end
  local out = {}
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == name then
      table.insert(out, client)
    end
  end
  return out
end

--- Byte index in `line` → LSP character index in `encoding` ("utf-8", "utf-16", "utf-32").
function M.char_index(line, byte_col, encoding)
  if encoding == "utf-8" then
    return byte_col
  end
  if M.nvim_0_11 then
    return vim.str_utfindex(line, encoding, byte_col, false)
  end
  local utf32, utf16 = vim.str_utfindex(line, byte_col)
  return encoding == "utf-32" and utf32 or utf16
end

--- LSP character index in `encoding` → byte index in `line`.
function M.byte_index(line, char, encoding)
  if encoding == "utf-8" then
    return math.min(char, #line)
  end
  local ok, idx
  if M.nvim_0_11 then
    ok, idx = pcall(vim.str_byteindex, line, encoding, char, false)
  else
    ok, idx = pcall(vim.str_byteindex, line, char, encoding == "utf-16")
  end
  return ok and idx or #line
end

function M.file_exists(path)
  return uv.fs_stat(path) ~= nil
end

function M.is_dir(path)
  local stat = uv.fs_stat(path)
  return stat ~= nil and stat.type == "directory"
end

function M.json_encode(value)
  return vim.json and vim.json.encode(value) or vim.fn.json_encode(value)
end

function M.json_decode(text)
  if vim.json then
    return pcall(vim.json.decode, text)
  end
  return pcall(vim.fn.json_decode, text)
end

-- :checkhealth reporters: vim.health (0.10+, 0.8 as report_*) or require("health") (0.7).
function M.health()
  local h = vim.health
  if h and h.start then
    return h
  end
  local old = h or require("health")
  return {
    start = old.report_start,
    ok = old.report_ok,
    warn = old.report_warn,
    error = old.report_error,
    info = old.report_info,
  }
end

return M
