# @summary A string as a JSON string literal, as `provision --json` prints it (Jackson's escapes:
#   backslash and double quote; control characters are refused by provision::context).
#
# @param value The string.
# @return [String] The JSON literal, quotes included.
function provision::json_string(String $value) >> String {
  $escaped = regsubst(regsubst($value, '\\\\', '\\\\\\\\', 'G'), '"', '\\\\"', 'G')
  "\"${escaped}\""
}
