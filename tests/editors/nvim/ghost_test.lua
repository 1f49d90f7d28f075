-- Headless end-to-end test of the Neovim plugin against the real server.
-- Run by tests/editors/test_neovim.py:
--   nvim --headless -u NONE -i NONE -c "luafile tests/editors/nvim/ghost_test.lua"
-- Inputs (environment): HA_RTP (editors/neovim), HA_CMD (server executable), HA_LOG (server log),
-- HA_FILE (file of a Rails app to edit), HA_LINE (1-based line to append to), HA_TYPE (text typed there),
-- HA_RESULT (JSON written here). Keys go through nvim_input, so mappings and autocmds run as when a
-- person types.
local function env(name)
  local value = os.getenv(name)
  assert(value, name .. " is not set")
  return value
end
vim.opt.runtimepath:prepend(env("HA_RTP"))

local uv = vim.uv or vim.loop
local compat = require("hotwire_assist.compat")
local ha = require("hotwire_assist")
local v = vim.version()
local result = { nvim = ("%d.%d.%d"):format(v.major, v.minor, v.patch), checks = {} }

local function write_result()
  local f = assert(io.open(env("HA_RESULT"), "w"))
  f:write(compat.json_encode(result))
  f:close()
end

local function now_ms()
  return uv.hrtime() / 1e6
end

local co
local started = now_ms()

local function resume()
  local ok, err = coroutine.resume(co)
  if not ok then
    result.error = debug.traceback(co, err)
  end
  if not ok or coroutine.status(co) == "dead" then
    result.ok = ok
    write_result()
    vim.cmd("stopinsert")
    vim.schedule(function()
      vim.cmd(ok and "qall!" or "cquit 1")
    end)
  end
end

--- Yield until cond() returns a truthy value (polling every 20 ms); error after timeout_ms.
local function wait_for(what, cond, timeout_ms)
  local deadline = now_ms() + (timeout_ms or 15000)
  while true do
    local ok, value = pcall(cond)
    if ok and value then
      return value
    end
    if now_ms() > deadline then
      error("timed out waiting for " .. what .. (ok and "" or (": " .. tostring(value))), 2)
    end
    vim.defer_fn(resume, 20)
    coroutine.yield()
  end
end

local function type_keys(text)
  vim.api.nvim_input((text:gsub("<", "<lt>")))
end

local function check(name, ok, detail)
  table.insert(result.checks, { name = name, ok = ok and true or false, detail = detail, at_ms = math.floor(now_ms() - started) })
  if not ok then
    error(name .. ": " .. vim.inspect(detail), 2)
  end
end

local function read_log()
  local f = io.open(env("HA_LOG"), "r")
  if not f then
    return ""
  end
  local text = f:read("*a")
  f:close()
  return text
end

--- The server logged an outcome (`word`: accepted/dismissed) for suggestion `id`.
local function logged(word, id)
  for line in read_log():gmatch("[^\n]+") do
    if line:find(word, 1, true) and line:find(id, 1, true) then
      return true
    end
  end
  return false
end

local function lines(bufnr)
  return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

co = coroutine.create(function()
  ha.setup({
    cmd = { env("HA_CMD"), "serve", "--log-file", env("HA_LOG") },
    telemetry = false,
    debounce_ms = 20,
  })
  vim.cmd("edit " .. vim.fn.fnameescape(env("HA_FILE")))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = wait_for("the server to initialize", function()
    local c = compat.get_clients(bufnr, "hotwire_assist")[1]
    return c and c.server_capabilities and c.server_capabilities.inlineCompletionProvider and c
  end)
  result.offset_encoding = client.offset_encoding
  result.used_vim_lsp_start = vim.lsp.start ~= nil

  local line = tonumber(env("HA_LINE"))
  local typed = env("HA_TYPE")
  local before = lines(bufnr)

  -- 1. Typing shows ghost text as an extmark and does not touch the buffer.
  vim.api.nvim_win_set_cursor(0, { line, 0 })
  vim.api.nvim_input("A")
  type_keys(typed)
  local shown = wait_for("ghost text after typing", function()
    return ha.ghost.get(bufnr)
  end)
  local s = ha.suggest.get(bufnr)
  result.suggestion = shown.text
  result.virt_text_pos = shown.pos
  check("ghost text is the suggestion", s and shown.text == s.text and shown.text ~= "", { shown = shown, s = s })
  check("ghost text sits at the cursor", shown.row == line - 1 and shown.col == #before[line] + #typed, shown)
  check("suggestion has an id", type(s.id) == "string" and s.id ~= "", s)
  check("buffer holds only what was typed", lines(bufnr)[line] == before[line] .. typed, lines(bufnr)[line])

  -- 2. <Tab> inserts it; the server logs the acceptance (the item's command ran).
  vim.api.nvim_input("<Tab>")
  local inserted = vim.split(before[line] .. typed .. shown.text, "\n", { plain = true })
  wait_for("the suggestion in the buffer", function()
    return vim.deep_equal(vim.list_slice(lines(bufnr), line, line + #inserted - 1), inserted)
  end, 5000)
  local cur = vim.api.nvim_win_get_cursor(0)
  check("cursor after the inserted text", cur[1] == line + #inserted - 1 and cur[2] == #inserted[#inserted], cur)
  check("rest of the buffer intact", #lines(bufnr) == #before + #inserted - 1, #lines(bufnr))
  wait_for("the acceptance in the server log", function()
    return logged("accepted", s.id)
  end, 5000)
  check("accepted logged", true, s.id)

  -- 3. A new suggestion on a new line; <C-]> clears it and sends hotwire-assist/dismissed.
  vim.api.nvim_input("<Esc>")
  wait_for("normal mode", function()
    return vim.api.nvim_get_mode().mode == "n"
  end)
  local count = #lines(bufnr)
  vim.api.nvim_win_set_cursor(0, { line, 0 })
  vim.api.nvim_input("A")
  type_keys(typed)
  wait_for("a second suggestion", function()
    return ha.ghost.get(bufnr)
  end)
  local second = ha.suggest.get(bufnr)
  local text_before_dismiss = lines(bufnr)
  vim.api.nvim_input("<C-]>")
  wait_for("ghost text cleared by <C-]>", function()
    return ha.ghost.get(bufnr) == nil
  end, 5000)
  check("dismiss leaves the buffer alone", vim.deep_equal(lines(bufnr), text_before_dismiss), count)
  wait_for("the dismissal in the server log", function()
    return logged("dismissed", second.id)
  end, 5000)
  check("dismissed logged", true, second.id)

  -- 4. Typing the suggestion's first character keeps the rest; a mismatching character dismisses it.
  type_keys(" ")
  local third = wait_for("a third suggestion", function()
    return ha.suggest.get(bufnr)
  end)
  local remaining = third.text
  local first_char = third.text:sub(1, 1)
  if first_char:match("^[%w%p ]$") and #third.text > 1 then
    type_keys(first_char)
    wait_for("typed-ahead suggestion", function()
      local now = ha.suggest.get(bufnr)
      return now and now.id == third.id and now.text == third.text:sub(2)
    end, 3000)
    check("typing the suggestion keeps it", true, third.text)
    remaining = third.text:sub(2)
  end
  local mismatch = remaining:sub(1, 1) == "~" and "`" or "~"
  type_keys(mismatch)
  wait_for("the typed-over dismissal in the server log", function()
    return logged("dismissed", third.id)
  end, 5000)
  check("mismatching character dismissed", true, third.id)

  -- 5. <M-Right> accepts one word and keeps the rest as ghost text; the server hears "accepted".
  vim.api.nvim_input("<BS>")
  wait_for("a fourth suggestion", function()
    return ha.ghost.get(bufnr)
  end)
  local fourth = ha.suggest.get(bufnr)
  local word = fourth.text:match("^\n[ \t]*") or fourth.text:match("^%s*[%w_]+") or fourth.text:match("^%s*[^%w_%s]+")
  local line_before = vim.api.nvim_get_current_line()
  vim.api.nvim_input("<M-Right>")
  if #word < #fourth.text and not word:find("\n") then
    wait_for("the rest of the suggestion after one word", function()
      local now = ha.suggest.get(bufnr)
      return now and now.text == fourth.text:sub(#word + 1) and vim.api.nvim_get_current_line() == line_before .. word
    end, 5000)
    check("accept word inserts one word, keeps the rest", ha.ghost.get(bufnr).text == fourth.text:sub(#word + 1), word)
  end
  wait_for("the partial acceptance in the server log", function()
    return logged("accepted", fourth.id)
  end, 5000)
  check("partial accept logged", true, fourth.id)

  -- 6. Leaving insert mode clears the ghost text and reports a dismissal (not for the accepted one).
  vim.api.nvim_input("<Esc>")
  wait_for("ghost text cleared on InsertLeave", function()
    return ha.ghost.get(bufnr) == nil and vim.api.nvim_get_mode().mode == "n"
  end, 5000)
  check("no dismissal for a partly accepted suggestion", not logged("dismissed", fourth.id), fourth.id)
  vim.api.nvim_input("A ")
  wait_for("a fifth suggestion", function()
    return ha.ghost.get(bufnr)
  end)
  local fifth = ha.suggest.get(bufnr)
  vim.api.nvim_input("<Esc>")
  wait_for("ghost text cleared on InsertLeave", function()
    return ha.ghost.get(bufnr) == nil
  end, 5000)
  wait_for("the InsertLeave dismissal in the server log", function()
    return logged("dismissed", fifth.id)
  end, 5000)
  check("leaving insert mode dismissed", true, fifth.id)

  -- 7. :HotwireAssistStatus's request answers.
  local status
  ha.status(function(st)
    status = st
  end)
  wait_for("status", function()
    return status
  end, 5000)
  result.status = status
  check("status reports the backend", status.backend == env("HA_BACKEND") and status.enabled == true, status)
  check("status line", ha.status_text(status):find("hotwire%-assist: on") ~= nil, ha.status_text(status))

  -- 8. <C-x><C-o> (the omnifunc the plugin set) lists the server's index items: Turbo Stream actions here.
  check("omnifunc is the LSP's", vim.bo[bufnr].omnifunc == "v:lua.vim.lsp.omnifunc", vim.bo[bufnr].omnifunc)
  vim.api.nvim_input("<Esc>")
  wait_for("normal mode", function()
    return vim.api.nvim_get_mode().mode == "n"
  end)
  vim.api.nvim_input("o")
  type_keys("<%= turbo_stream.")
  vim.api.nvim_input("<C-x><C-o>")
  local words = wait_for("omni completion items", function()
    local items = vim.fn.complete_info({ "items" }).items or {}
    local out = {}
    for _, item in ipairs(items) do
      table.insert(out, item.word)
    end
    return #out > 0 and out
  end, 10000)
  result.omni_words = words
  check("omni completion offers stream actions", vim.tbl_contains(words, "append") or vim.tbl_contains(words, "replace"), words)
  vim.api.nvim_input("<C-e><Esc>")
  wait_for("normal mode", function()
    return vim.api.nvim_get_mode().mode == "n"
  end)

  -- 9. :checkhealth hotwire_assist sees the running server and its status.
  vim.cmd("checkhealth hotwire_assist")
  local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
  result.checkhealth = report
  check("checkhealth: server offers inline completion", report:find("offers inline completion", 1, true) ~= nil, report)
  check("checkhealth: status", report:find("hotwire-assist: on", 1, true) ~= nil, report)
  check("checkhealth: omnifunc", report:find("omnifunc = v:lua.vim.lsp.omnifunc", 1, true) ~= nil, report)
end)

-- Fail rather than hang if something never returns.
vim.defer_fn(function()
  if coroutine.status(co) ~= "dead" then
    result.ok = false
    result.error = "global timeout"
    write_result()
    vim.cmd("cquit 2")
  end
end, tonumber(os.getenv("HA_TIMEOUT_MS") or "90000"))

resume()
