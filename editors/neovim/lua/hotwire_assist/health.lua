-- :checkhealth hotwire_assist
local compat = require("hotwire_assist.compat")

local M = {}

function M.check()
  local health = compat.health()
  local ha = require("hotwire_assist")
  local consent = require("hotwire_assist.consent")

  health.start("hotwire-assist")
  if vim.fn.has("nvim-0.7") == 1 then
    health.ok("Neovim " .. tostring(vim.version().major) .. "." .. tostring(vim.version().minor))
  else
    health.error("Neovim 0.7 or newer is required")
  end
  health.info(compat.nvim_0_10 and "ghost text: inline virtual text" or "ghost text: end-of-line/overlay virtual text")

  local exe = ha.resolve_cmd(ha.config.cmd)[1]
  if vim.fn.executable(exe) == 1 then
    health.ok("server command: " .. vim.fn.exepath(exe))
  else
    health.error("server command '" .. exe .. "' not found", {
      "install it: " .. ha.install_hint(),
      "or setup({ cmd = { '/path/to/venv/bin/hotwire-assist', 'serve' } })",
    })
  end
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if #compat.get_clients(bufnr, ha.suggest.client_name) > 0 then
      local omni = vim.bo[bufnr].omnifunc
      local report = omni == "v:lua.vim.lsp.omnifunc" and health.ok or health.info
      report(("buffer %d: omnifunc = %s (<C-x><C-o> lists the server's completion items)"):format(bufnr, omni))
      break
    end
  end

  local answer = consent.read()
  if ha.config.telemetry ~= nil then
    health.info("telemetry: " .. (ha.config.telemetry and "on" or "off") .. " (set in setup())")
  elseif answer == nil then
    health.info("telemetry: off (not answered yet; :HotwireAssistConsent)")
  else
    health.info("telemetry: " .. (answer and "on" or "off") .. " (answer in " .. consent.path() .. ")")
  end

  local clients = compat.all_clients(ha.suggest.client_name)
  if #clients == 0 then
    health.warn("no server running (open a .erb/.rb/.js/.ts file of a Rails app)")
    return
  end
  for _, client in ipairs(clients) do
    local caps = client.server_capabilities or {}
    local root = client.config and client.config.root_dir or "?"
    if caps.inlineCompletionProvider then
      health.ok(("server %d for %s offers inline completion"):format(client.id, root))
    else
      health.warn(("server %d for %s does not offer inline completion"):format(client.id, root))
    end
    local ok, status = pcall(function()
      local result = compat.request_sync(client, "hotwire-assist/status", {}, 2000)
      return result and result.result
    end)
    if ok and status then
      local report = status.healthy and health.ok or health.warn
      report(ha.status_text(status))
    else
      health.warn("no status from the server")
    end
  end
end

return M
