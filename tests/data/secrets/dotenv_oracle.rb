# Answers for tests/test_secrets_properties.py: what Kamal's dotenv makes of a
# secrets file. One JSON request per input line, {"text": ..., "env": {...}};
# one JSON answer per output line, {"ok": true, "values": {...}} or
# {"ok": false} when dotenv raises its format error.
#
# Nothing is ever run. Kamal's own `$(...)` pattern finds the commands, and each
# one is replaced by a marker character; a value holding the marker is answered
# as null ("needs a command").
require "json"
require "tmpdir"
require "dotenv"

module Kamal
  class Secrets
    module Dotenv; end
  end
end
load File.join(ARGV.fetch(0), "kamal/secrets/dotenv/inline_command_substitution.rb")

MARK = "\u{F8FF}"

module CommandMarker
  PATTERN = Kamal::Secrets::Dotenv::InlineCommandSubstitution::INTERPOLATED_SHELL_COMMAND

  def self.call(value, _env, overwrite: false)
    value.gsub(PATTERN) { $~[:backslash] ? $~[0][1..] : MARK }
  end
end

Dotenv::Parser.substitutions.map! do |substitution|
  substitution == Dotenv::Substitutions::Command ? CommandMarker : substitution
end

STDOUT.sync = true
Dir.mktmpdir do |dir|
  path = File.join(dir, "secrets")
  STDIN.each_line do |line|
    request = JSON.parse(line)
    ENV.replace(request.fetch("env"))
    File.binwrite(path, request.fetch("text").encode("UTF-8"))
    answer =
      begin
        values = Dotenv.parse(path, overwrite: true)
        marked = values.transform_values { |value| value.include?(MARK) ? nil : value }
        { "ok" => true, "values" => marked }
      rescue Dotenv::FormatError
        { "ok" => false }
      end
    puts JSON.generate(answer)
  end
end
