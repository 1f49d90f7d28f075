-- hotwire-assist for Neovim: starts `hotwire-assist serve` for buffers of Rails apps and shows its
-- inline suggestions as ghost text. Works on Neovim 0.7 (start_client + buf_attach_client) and on
-- current releases (vim.lsp.start). See :help hotwire-assist.
local compat = require("hotwire_assist.compat")
local consent = require("hotwire_assist.consent")
local ghost = require("hotwire_assist.ghost")
local suggest = require("hotwire_assist.suggest")

local M = {}

local NAME = suggest.client_name
local SERVER_TOGGLE = "hotwire-assist.toggle"
local SERVER_GENERATE = "hotwire-assist.generateFeature"
local SERVER_ADAPT = "hotwire-assist.adaptModel"
local STATUS_METHOD = "hotwire-assist/status"

M.defaults = {
  -- The server command; a venv's full path works too: { "~/.venv/bin/hotwire-assist", "serve" }.
  -- When `hotwire-assist` is not on PATH, the .venv that scripts/install made in this plugin's clone is used.
  cmd = { "hotwire-assist", "serve" },
  -- Extra environment for the server process (e.g. { HOTWIRE_ASSIST_MODEL_PATH = "..." }).
  cmd_env = nil,
  -- File extensions the server completes (it routes by path, whatever the filetype).
  extensions = { "erb", "rb", "rake", "jbuilder", "js", "mjs", "ts" },
  debounce_ms = 75,
  -- Insert-mode keys; set one to false to leave that key alone.
  keymaps = { accept = "<Tab>", accept_word = "<M-Right>", dismiss = "<C-]>" },
  -- true/false answers the telemetry question here; nil uses the stored answer or asks once.
  telemetry = nil,
  telemetry_level = nil, -- "events" | "code"
  -- Extra server settings, shaped like .hotwire-assist.toml: { model = { backend = "ollama", name = "..." } }.
  settings = {},
  -- Set 'omnifunc' to the LSP's (<C-x><C-o> lists the server's completion items); false leaves it alone.
  omnifunc = true,
}

M.config = vim.deepcopy(M.defaults)
local legacy_clients = {} -- root → client id (Neovim < 0.8 has no vim.lsp.start to reuse clients)
local warned_missing = false
local asked_consent = false

-- --- pure helpers (tested directly) ---------------------------------------------------------------

--- The Rails app root above `path`: the nearest folder with a Gemfile, if it also has
--- config/routes.rb or app/.
function M.rails_root(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  while dir and dir ~= "" do
    if compat.file_exists(dir .. "/Gemfile") then
      if compat.file_exists(dir .. "/config/routes.rb") or compat.is_dir(dir .. "/app") then
        return dir
      end
      return nil
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      return nil
    end
    dir = parent
  end
  return nil
end

function M.is_supported_file(path, extensions)
  local base = vim.fn.fnamemodify(path, ":t")
  if base == "Gemfile" or base == "Rakefile" then
    return true
  end
  local ext = vim.fn.fnamemodify(path, ":e")
  return vim.tbl_contains(extensions or M.config.extensions, ext)
end

--- The hotwire-assist clone this plugin lives in (editors/neovim/lua/hotwire_assist/init.lua), or nil.
function M.clone_root()
  local here = debug.getinfo(1, "S").source:gsub("^@", "")
  local root = vim.fn.fnamemodify(here, ":p:h:h:h:h:h")
  if compat.file_exists(root .. "/scripts/install") and compat.file_exists(root .. "/pyproject.toml") then
    return root
  end
  return nil
end

--- The command that installs the server, as a user can paste it (from this plugin's clone when known).
function M.install_hint()
  local root = M.clone_root()
  if root then
    return ("%s/scripts/install   (then add %s/.venv/bin to PATH)"):format(root, root)
  end
  return "scripts/install in a clone of hotwire-assist (then add its .venv/bin to PATH)"
end

--- The server command to run: `cmd` as configured, or the clone's .venv/bin/hotwire-assist when the
--- configured default is not on PATH.
function M.resolve_cmd(cmd)
  if vim.fn.executable(cmd[1]) == 1 or cmd[1] ~= M.defaults.cmd[1] then
    return cmd
  end
  local root = M.clone_root()
  local exe = root and (root .. "/.venv/bin/hotwire-assist")
  if exe and vim.fn.executable(exe) == 1 then
    local resolved = vim.deepcopy(cmd)
    resolved[1] = exe
    return resolved
  end
  return cmd
end

--- initializationOptions for the server: the user's settings plus the telemetry answer.
function M.init_options(config, telemetry_consent)
  local options = vim.deepcopy(config.settings or {})
  options.telemetry = vim.tbl_extend("force", options.telemetry or {}, { enabled = telemetry_consent == true })
  if config.telemetry_level then
    options.telemetry.level = config.telemetry_level
  end
  return options
end

--- One line for :HotwireAssistStatus and statuslines.
function M.status_text(status)
  if not status then
    return "hotwire-assist: not running"
  end
  local parts = {
    "hotwire-assist: " .. (status.enabled and "on" or "off"),
    "backend " .. tostring(status.backend),
    "model " .. (status.model ~= "" and vim.fn.fnamemodify(status.model, ":t") or "(none)"),
    status.healthy and "healthy" or ("failing" .. (status.detail ~= "" and (": " .. status.detail) or "")),
    "telemetry " .. (status.telemetry and "on" or "off"),
  }
  local adapt = status.adapt
  if adapt and adapt.state == "running" then
    table.insert(parts, string.format("adapting %s %d%%", adapt.stage or "", adapt.percent or 0))
  elseif adapt and adapt.state and adapt.state ~= "idle" then
    table.insert(parts, "adaptation " .. (adapt.outcome or adapt.state))
  end
  return table.concat(parts, " · ")
end

--- "create app/x.erb" / "edit config/routes.rb" lines for a WorkspaceEdit preview.
function M.summarize_edit(edit)
  local lines = {}
  local rel = function(uri)
    return vim.fn.fnamemodify(vim.uri_to_fname(uri), ":~:.")
  end
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.textDocument then
      table.insert(lines, "edit " .. rel(change.textDocument.uri))
    elseif change.kind == "create" then
      table.insert(lines, "create " .. rel(change.uri))
    elseif change.kind == "rename" then
      table.insert(lines, "rename " .. rel(change.oldUri) .. " → " .. rel(change.newUri))
    elseif change.kind == "delete" then
      table.insert(lines, "delete " .. rel(change.uri))
    end
  end
  for uri in pairs(edit.changes or {}) do
    table.insert(lines, "edit " .. rel(uri))
  end
  return lines
end

-- --- server lifecycle -------------------------------------------------------------------------------

local function telemetry_consent()
  if M.config.telemetry ~= nil then
    return M.config.telemetry
  end
  return consent.read() == true
end

local function client_config(root)
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  capabilities.textDocument = capabilities.textDocument or {}
  capabilities.textDocument.inlineCompletion = { dynamicRegistration = false }
  return {
    name = NAME,
    cmd = M.resolve_cmd(M.config.cmd),
    cmd_env = M.config.cmd_env,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = M.init_options(M.config, telemetry_consent()),
    capabilities = capabilities,
    flags = { debounce_text_changes = 0 },
    on_attach = function(_, bufnr)
      M._on_attach(bufnr)
    end,
  }
end

local function maybe_ask_consent()
  if asked_consent or M.config.telemetry ~= nil or consent.read() ~= nil or #vim.api.nvim_list_uis() == 0 then
    return
  end
  asked_consent = true
  vim.schedule(function()
    consent.ask(function(answer)
      if answer then
        M.restart() -- the server reads the answer at startup
      end
    end)
  end)
end

--- Start (or reuse) the server for a buffer of a Rails app and attach it.
function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" or vim.bo[bufnr].buftype ~= "" or not M.is_supported_file(path) then
    return nil
  end
  local root = M.rails_root(path)
  if not root then
    return nil
  end
  if vim.fn.executable(M.resolve_cmd(M.config.cmd)[1]) ~= 1 then
    if not warned_missing then
      warned_missing = true
      vim.notify(
        ("hotwire-assist: server command '%s' not found. Install it: %s; "
          .. "or pass cmd = { '/path/to/hotwire-assist', 'serve' } to setup()."):format(
          M.config.cmd[1],
          M.install_hint()
        ),
        vim.log.levels.ERROR
      )
    end
    return nil
  end
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(client_config(root), { bufnr = bufnr })
  else
    client_id = legacy_clients[root]
    local client = client_id and vim.lsp.get_client_by_id(client_id)
    if not client or compat.is_stopped(client) then
      client_id = vim.lsp.start_client(client_config(root))
      legacy_clients[root] = client_id
    end
    if client_id then
      vim.lsp.buf_attach_client(bufnr, client_id)
    end
  end
  maybe_ask_consent()
  return client_id
end

local function feed(keys, remap)
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(keys, true, false, true), remap and "mi" or "ni", false)
end

--- Run what `lhs` did before we mapped it (a mapping, or the key itself).
local function run_fallback(lhs, previous)
  if not previous or vim.tbl_isempty(previous) then
    return feed(lhs, false)
  end
  local keys = previous.rhs
  if previous.callback then
    keys = previous.callback()
    if previous.expr ~= 1 then
      return
    end
  elseif previous.expr == 1 then
    keys = vim.api.nvim_eval(previous.rhs)
  end
  if type(keys) == "string" and keys ~= "" then
    feed(keys, previous.noremap ~= 1)
  end
end

local function map(bufnr, lhs, action, desc)
  if not lhs then
    return
  end
  local previous = vim.fn.maparg(lhs, "i", false, true)
  if previous.desc and previous.desc:match("^hotwire%-assist") then
    return -- already ours
  end
  vim.keymap.set("i", lhs, function()
    if not action() then
      run_fallback(lhs, previous)
    end
  end, { buffer = bufnr, silent = true, desc = "hotwire-assist: " .. desc })
end

function M._on_attach(bufnr)
  if M.config.omnifunc ~= false then
    -- <C-x><C-o> lists the server's completion items (frame ids, Stimulus names, stream actions...).
    vim.bo[bufnr].omnifunc = "v:lua.vim.lsp.omnifunc"
  end
  local group = vim.api.nvim_create_augroup("hotwire_assist_buf_" .. bufnr, { clear = true })
  local on_change = function()
    suggest.on_change(bufnr)
  end
  vim.api.nvim_create_autocmd({ "TextChangedI", "CursorMovedI" }, { group = group, buffer = bufnr, callback = on_change })
  vim.api.nvim_create_autocmd("InsertEnter", {
    group = group,
    buffer = bufnr,
    callback = function()
      suggest.schedule(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd({ "InsertLeave", "BufLeave" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      suggest.dismiss(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd({ "BufWipeout", "BufUnload" }, {
    group = group,
    buffer = bufnr,
    callback = function()
      suggest.forget(bufnr)
    end,
  })
  local keys = M.config.keymaps or {}
  map(bufnr, keys.accept, suggest.accept, "accept suggestion")
  map(bufnr, keys.accept_word, function()
    return suggest.accept({ word = true })
  end, "accept next word")
  map(bufnr, keys.dismiss, suggest.dismiss_explicitly, "dismiss suggestion")
end

local function stop_all()
  local clients = compat.all_clients(NAME)
  for _, client in ipairs(clients) do
    compat.stop(client)
  end
  vim.wait(3000, function()
    for _, client in ipairs(clients) do
      if not compat.is_stopped(client) then
        return false
      end
    end
    return true
  end, 50)
  legacy_clients = {}
end

--- Stop the servers and start them again for every loaded buffer (e.g. after a consent answer).
function M.restart()
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    suggest.forget(bufnr)
  end
  stop_all()
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      M.attach(bufnr)
    end
  end
end

-- --- commands -----------------------------------------------------------------------------------

local function current_client()
  local client = compat.get_clients(vim.api.nvim_get_current_buf(), NAME)[1] or compat.all_clients(NAME)[1]
  if not client then
    vim.notify("hotwire-assist: no server for this buffer (open a file of a Rails app)", vim.log.levels.WARN)
  end
  return client
end

local function execute(client, command, arguments, callback)
  compat.request(client, "workspace/executeCommand", { command = command, arguments = arguments }, callback)
end

--- Ask the server for its status; callback(status|nil, err).
function M.status(callback)
  local client = current_client()
  if not client then
    return callback(nil, "not running")
  end
  compat.request(client, STATUS_METHOD, {}, function(err, result)
    callback(result, err)
  end)
end

function M.toggle()
  local client = current_client()
  if not client then
    return
  end
  execute(client, SERVER_TOGGLE, {}, function(err, result)
    if err then
      return vim.notify("hotwire-assist: toggle failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
    suggest.enabled = result and result.enabled ~= false
    if not suggest.enabled then
      suggest.dismiss()
    end
    vim.notify("hotwire-assist: suggestions " .. (suggest.enabled and "on" or "off"))
  end)
end

--- Adapt the model to this workspace in the server's background (`model adapt`, niced, one thread);
--- `:HotwireAssistAdapt 5` trains 5 minutes, `:HotwireAssistAdapt cancel` stops it (a rerun resumes).
--- Progress shows in :HotwireAssistStatus.
function M.adapt(arg)
  local client = current_client()
  if not client then
    return
  end
  local args = {}
  if arg == "cancel" then
    args = { { cancel = true } }
  elseif arg and arg ~= "" then
    local minutes = tonumber(arg)
    if not minutes or minutes <= 0 then
      return vim.notify("hotwire-assist: :HotwireAssistAdapt [MINUTES|cancel]", vim.log.levels.ERROR)
    end
    args = { { minutes = minutes } }
  end
  execute(client, SERVER_ADAPT, args, function(err, result)
    if err then
      return vim.notify("hotwire-assist: adaptation failed: " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
    end
    result = result or {}
    if result.state == "failed" then
      return vim.notify("hotwire-assist: " .. (result.message or "adaptation failed"), vim.log.levels.ERROR)
    end
    vim.notify("hotwire-assist: adaptation " .. tostring(result.state) .. " (progress: :HotwireAssistStatus)")
  end)
end

--- Send a natural-language feature request; preview the files it touches, then apply.
function M.generate_feature(request)
  local client = current_client()
  if not client then
    return
  end
  local provider = (client.server_capabilities or {}).executeCommandProvider or {}
  if not vim.tbl_contains(provider.commands or {}, SERVER_GENERATE) then
    return vim.notify(
      "hotwire-assist: this server does not offer feature generation yet ('" .. SERVER_GENERATE .. "'). Update it.",
      vim.log.levels.ERROR
    )
  end
  -- apply = false: this client previews and applies the edit itself; uri: the prompt's context
  local args = { { request = request, uri = vim.uri_from_bufnr(0), apply = false } }
  execute(client, SERVER_GENERATE, args, function(err, result)
    if err then
      return vim.notify("hotwire-assist: feature generation failed: " .. (err.message or ""), vim.log.levels.ERROR)
    end
    local edit = result and result.edit
    if edit == nil or edit == vim.NIL then -- JSON null: no edit, the result says why
      edit = result
    end
    if not edit or not (edit.changes or edit.documentChanges) then
      local why = type(result) == "table" and type(result.message) == "string" and result.message
      return vim.notify(why or "hotwire-assist: no changes for that request", vim.log.levels.WARN)
    end
    local summary = M.summarize_edit(edit)
    vim.ui.select({ "Apply", "Cancel" }, {
      prompt = "hotwire-assist: " .. request .. "\n  " .. table.concat(summary, "\n  ") .. "\n",
    }, function(choice)
      if choice == "Apply" then
        vim.lsp.util.apply_workspace_edit(edit, client.offset_encoding)
      end
    end)
  end)
end

local function create_commands()
  local command = vim.api.nvim_create_user_command
  command("HotwireAssistToggle", M.toggle, { desc = "hotwire-assist: suggestions on/off" })
  command("HotwireAssistStatus", function()
    M.status(function(status, err)
      vim.notify(err and ("hotwire-assist: " .. (err.message or tostring(err))) or M.status_text(status))
    end)
  end, { desc = "hotwire-assist: backend, model, health" })
  command("HotwireAssistConsent", function()
    consent.ask(function()
      M.restart()
    end)
  end, { desc = "hotwire-assist: answer the telemetry question again" })
  command("HotwireAssistRestart", M.restart, { desc = "hotwire-assist: restart the server" })
  command("HotwireAssistAdapt", function(args)
    M.adapt(args.args)
  end, { nargs = "?", desc = "hotwire-assist: adapt the model to this workspace [MINUTES|cancel]" })
  command("HotwireAssistFeature", function(args)
    if args.args ~= "" then
      return M.generate_feature(args.args)
    end
    vim.ui.input({ prompt = "Feature to generate: " }, function(input)
      if input and input ~= "" then
        M.generate_feature(input)
      end
    end)
  end, { nargs = "*", desc = "hotwire-assist: generate a feature from a description" })
end

--- Configure and start: require("hotwire_assist").setup({ ... })
function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  if opts and opts.keymaps == false then
    M.config.keymaps = {}
  end
  M.config.cmd = vim.deepcopy(M.config.cmd)
  M.config.cmd[1] = vim.fn.expand(M.config.cmd[1])
  suggest.debounce_ms = M.config.debounce_ms
  create_commands()
  local patterns = { "Gemfile", "Rakefile" }
  for _, ext in ipairs(M.config.extensions) do
    table.insert(patterns, "*." .. ext)
  end
  local group = vim.api.nvim_create_augroup("hotwire_assist", { clear = true })
  vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
    group = group,
    pattern = patterns,
    callback = function(ev)
      M.attach(ev.buf)
    end,
  })
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      M.attach(bufnr)
    end
  end
end

M.ghost = ghost
M.suggest = suggest

return M
