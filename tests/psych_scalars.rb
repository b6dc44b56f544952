# Reads one JSON string per line, parses it as a plain YAML scalar value with
# Psych (as Kamal does) and prints one JSON line: [class, value as text].
require "yaml"
require "json"
require "date"

STDOUT.sync = true
STDIN.each_line do |line|
  text = JSON.parse(line)
  begin
    value = YAML.unsafe_load("k: #{text}")["k"]
    out = case value
          when Date, Time then [value.class.name, value.strftime("%Y-%m-%d %H:%M:%S")]
          when Float then ["Float", value.nan? ? "nan" : value.infinite? ? (value > 0 ? "inf" : "-inf") : value.to_s]
          when nil then ["NilClass", ""]
          else [value.class.name, value.to_s]
          end
  rescue Exception => e
    out = ["Error", e.class.name]
  end
  puts JSON.generate(out)
end
