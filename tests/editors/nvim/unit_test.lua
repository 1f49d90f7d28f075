-- Unit tests of the plugin's pure parts and its no-server behaviour, headless, no server needed:
--   HA_RTP=editors/neovim HA_APP=examples/todo_app nvim --headless -u NONE -i NONE -c "luafile tests/editors/nvim/unit_test.lua"
-- Exits 0 when every test passes; prints one line per test.
vim.opt.runtimepath:prepend(os.getenv("HA_RTP"))
local app = os.getenv("HA_APP")

local ha = require("hotwire_assist")
local consent = require("hotwire_assist.consent")
local ghost = require("hotwire_assist.ghost")
local compat = require("hotwire_assist.compat")

local failures = 0
local function test(name, fn)
  local ok, err = pcall(fn)
  io.stdout:write((ok and "ok   " or "FAIL ") .. name .. (ok and "" or (": " .. tostring(err))) .. "\n")
  if not ok then
    failures = failures + 1
  end
end

local function eq(actual, expected)
  if not vim.deep_equal(actual, expected) then
    error(("expected %s, got %s"):format(vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

test("rails_root finds the app from a nested file", function()
  eq(ha.rails_root(app .. "/app/views/todos/_todo.html.erb"), vim.fn.fnamemodify(app, ":p:h"))
end)

test("rails_root refuses a Gemfile without config/routes.rb or app/", function()
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir .. "/lib", "p")
  vim.fn.writefile({ "source 'https://rubygems.org'" }, dir .. "/Gemfile")
  eq(ha.rails_root(dir .. "/lib/x.rb"), nil)
  eq(ha.rails_root("/"), nil)
end)

test("is_supported_file routes by extension", function()
  eq(ha.is_supported_file("/a/app/views/x.html.erb"), true)
  eq(ha.is_supported_file("/a/app/models/x.rb"), true)
  eq(ha.is_supported_file("/a/app/javascript/c.js"), true)
  eq(ha.is_supported_file("/a/Gemfile"), true)
  eq(ha.is_supported_file("/a/README.md"), false)
end)

test("init_options: telemetry off without consent, settings passed through", function()
  local config = vim.tbl_deep_extend("force", ha.defaults, {
    settings = { model = { backend = "ollama", name = "qwen2.5-coder:1.5b-base" }, completion = { debounce_ms = 90 } },
    telemetry_level = "code",
  })
  eq(ha.init_options(config, nil), {
    model = { backend = "ollama", name = "qwen2.5-coder:1.5b-base" },
    completion = { debounce_ms = 90 },
    telemetry = { enabled = false, level = "code" },
  })
  eq(ha.init_options(ha.defaults, true), { telemetry = { enabled = true } })
end)

test("status_text names state, backend, model, health, telemetry", function()
  eq(
    ha.status_text({ enabled = true, backend = "llama_cpp", model = "/m/model.gguf", healthy = true, detail = "", telemetry = false }),
    "hotwire-assist: on · backend llama_cpp · model model.gguf · healthy · telemetry off"
  )
  eq(
    ha.status_text({ enabled = false, backend = "ollama", model = "", healthy = false, detail = "refused", telemetry = true }),
    "hotwire-assist: off · backend ollama · model (none) · failing: refused · telemetry on"
  )
  eq(ha.status_text(nil), "hotwire-assist: not running")
end)

test("summarize_edit lists each file action", function()
  local root = vim.fn.getcwd()
  local lines = ha.summarize_edit({
    documentChanges = {
      { kind = "create", uri = vim.uri_from_fname(root .. "/app/views/x.html.erb") },
      { textDocument = { uri = vim.uri_from_fname(root .. "/config/routes.rb") }, edits = {} },
    },
  })
  eq(lines, { "create app/views/x.html.erb", "edit config/routes.rb" })
end)

test("consent: nil until answered, then the stored answer", function()
  eq(consent.read(), nil)
  consent.write(true)
  eq(consent.read(), true)
  consent.write(false)
  eq(consent.read(), false)
  eq(vim.fn.filereadable(vim.fn.stdpath("data") .. "/hotwire-assist/consent.json"), 1)
end)

test("ghost text: one line inline/overlay, more lines as virt_lines", function()
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "<%= turbo_frame_tag " })
  ghost.show(buf, 0, 20, "dom_id(todo) do %>\n  <%= todo.title %>\n<% end %>")
  local shown = ghost.get(buf)
  eq(shown.text, "dom_id(todo) do %>\n  <%= todo.title %>\n<% end %>")
  eq({ shown.row, shown.col }, { 0, 20 })
  eq(shown.pos, compat.nvim_0_10 and "inline" or "overlay")
  eq(vim.api.nvim_buf_get_lines(buf, 0, -1, false), { "<%= turbo_frame_tag " })
  ghost.clear(buf)
  eq(ghost.get(buf), nil)
end)

test("mid-line ghost text never hides text on old versions", function()
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "foo() bar" })
  ghost.show(buf, 0, 4, "x")
  eq(ghost.get(buf).pos, compat.nvim_0_10 and "inline" or "eol")
end)

test("utf-16 positions round-trip through byte columns", function()
  local line = "é😀x"
  eq(compat.char_index(line, #"é😀", "utf-16"), 3)
  eq(compat.byte_index(line, 3, "utf-16"), #"é😀")
  eq(compat.char_index(line, #"é😀", "utf-8"), #"é😀")
end)

test("a missing server command is reported once, clearly, and nothing starts", function()
  local messages = {}
  local notify = vim.notify
  vim.notify = function(msg, level)
    table.insert(messages, { msg = msg, level = level })
  end
  ha.setup({ cmd = { "hotwire-assist-does-not-exist", "serve" }, telemetry = false })
  vim.cmd("edit " .. vim.fn.fnameescape(app .. "/app/models/todo.rb"))
  vim.cmd("edit " .. vim.fn.fnameescape(app .. "/app/models/list.rb"))
  vim.notify = notify
  eq(#messages, 1)
  eq(messages[1].level, vim.log.levels.ERROR)
  assert(messages[1].msg:find("hotwire%-assist%-does%-not%-exist' not found"), messages[1].msg)
  assert(messages[1].msg:find("scripts/install", 1, true), messages[1].msg) -- a command that works from a clone
  assert(not messages[1].msg:find("pip install hotwire-assist", 1, true), messages[1].msg) -- on no package index
  eq(#compat.all_clients("hotwire_assist"), 0)
end)

test("the install hint and a missing default command point at this clone's scripts/install", function()
  -- A fake clone: the plugin's init.lua copied under <clone>/editors/neovim/lua/hotwire_assist/.
  local clone = vim.fn.tempname()
  local dir = clone .. "/editors/neovim/lua/hotwire_assist"
  vim.fn.mkdir(dir, "p")
  vim.fn.mkdir(clone .. "/scripts", "p")
  vim.fn.mkdir(clone .. "/.venv/bin", "p")
  vim.fn.writefile(vim.fn.readfile(os.getenv("HA_RTP") .. "/lua/hotwire_assist/init.lua"), dir .. "/init.lua")
  vim.fn.writefile({ "#!/bin/sh" }, clone .. "/scripts/install")
  vim.fn.writefile({ "[project]" }, clone .. "/pyproject.toml")
  local plugin = dofile(dir .. "/init.lua")
  eq(plugin.clone_root(), clone)
  assert(plugin.install_hint():find(clone .. "/scripts/install", 1, true), plugin.install_hint())
  local path = vim.env.PATH
  vim.env.PATH = "/nonexistent"
  local ok, err = pcall(function()
    eq(plugin.resolve_cmd({ "hotwire-assist", "serve" }), { "hotwire-assist", "serve" }) -- no .venv yet
    vim.fn.writefile({ "#!/bin/sh" }, clone .. "/.venv/bin/hotwire-assist")
    vim.fn.setfperm(clone .. "/.venv/bin/hotwire-assist", "rwxr-xr-x")
    eq(plugin.resolve_cmd({ "hotwire-assist", "serve" }), { clone .. "/.venv/bin/hotwire-assist", "serve" })
    eq(plugin.resolve_cmd({ "/opt/x/hotwire-assist", "serve" }), { "/opt/x/hotwire-assist", "serve" }) -- configured
  end)
  vim.env.PATH = path
  assert(ok, err)
end)

test("commands and keymaps exist after setup", function()
  for _, name in ipairs({ "HotwireAssistToggle", "HotwireAssistStatus", "HotwireAssistConsent", "HotwireAssistRestart", "HotwireAssistFeature" }) do
    eq(vim.fn.exists(":" .. name), 2)
  end
end)

test("<Tab> without a suggestion falls back to a plain <Tab>", function()
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].omnifunc = ""
  ha._on_attach(buf) -- the keymaps and omnifunc, as if a server had attached
  eq(vim.bo[buf].omnifunc, "v:lua.vim.lsp.omnifunc")
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "x" })
  vim.api.nvim_win_set_cursor(0, { 1, 1 })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("a<Tab>y<Esc>", true, false, true), "tx", false)
  eq(vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1], "x\ty")
end)

test("omnifunc = false leaves the buffer's omnifunc alone", function()
  local buf = vim.api.nvim_create_buf(true, false)
  vim.bo[buf].omnifunc = "htmlcomplete#CompleteTags"
  ha.config.omnifunc = false
  ha._on_attach(buf)
  ha.config.omnifunc = true
  eq(vim.bo[buf].omnifunc, "htmlcomplete#CompleteTags")
end)

io.stdout:write(failures == 0 and "all passed\n" or (failures .. " failed\n"))
vim.cmd(failures == 0 and "qall!" or "cquit 1")
