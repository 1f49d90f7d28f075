-- Telemetry consent: off unless the user says yes once; the answer lives in
-- stdpath("data")/hotwire-assist/consent.json as {"telemetry": true|false}.
local compat = require("hotwire_assist.compat")

local M = {}

function M.path()
  return vim.fn.stdpath("data") .. "/hotwire-assist/consent.json"
end

--- The stored answer: true, false, or nil when never asked.
function M.read()
  local f = io.open(M.path(), "r")
  if not f then
    return nil
  end
  local text = f:read("*a")
  f:close()
  local ok, data = compat.json_decode(text)
  if ok and type(data) == "table" and type(data.telemetry) == "boolean" then
    return data.telemetry
  end
  return nil
end

function M.write(answer)
  vim.fn.mkdir(vim.fn.fnamemodify(M.path(), ":h"), "p")
  local f = assert(io.open(M.path(), "w"))
  f:write(compat.json_encode({ telemetry = answer }))
  f:close()
end

--- Ask with vim.ui.select; calls on_answer(true|false) only when the user picked an answer.
function M.ask(on_answer)
  local yes = "Yes, record which suggestions I accept or dismiss (stored locally)"
  local no = "No"
  vim.ui.select({ yes, no }, {
    prompt = "hotwire-assist: help improve suggestions with local telemetry?",
  }, function(choice)
    if choice == nil then
      return
    end
    local answer = choice == yes
    M.write(answer)
    on_answer(answer)
  end)
end

return M
