# Prints, per deploy file, the buildx builder Kamal itself would use for it:
# {"path", "kind", "name"} (name null when Kamal creates no buildx builder).
# Run with the Kamal checkout and libraries the oracle uses:
#   ruby -I LIB $(cat inc.txt) kamal_builder_name.rb ARCH PATH [PATH ...]
require "json"
require "pathname"
require "kamal"

arch = ARGV.shift
# Kamal asks `docker info` for the arch; the test names it instead.
Kamal::Utils.define_method(:docker_arch) { arch }

ARGV.each do |path|
  config = Kamal::Configuration.create_from(config_file: Pathname.new(path), version: "test")
  builder = Kamal::Commands::Builder.new(config)
  target = builder.target
  name =
    if builder.pack? && !builder.remote?
      nil
    elsif target.respond_to?(:docker_driver?, true) && target.send(:docker_driver?)
      nil
    else
      target.send(:builder_name)
    end
  name = nil if builder.cloud? && !builder.remote?
  puts JSON.generate({ path: path, kind: builder.name.to_s, name: name })
end
