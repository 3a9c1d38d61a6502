# frozen_string_literal: true

require 'json'
require 'open3'

# The provider of provision_context: runs `provision ... --json` (no shell) and reads its one JSON
# object with Ruby's JSON. Property values reach `provision save` on its standard input
# (`--properties-from=-`), never on a command line and never in a file.
Puppet::Type.type(:provision_context).provide(:cli) do
  desc <<-DOC
    Runs the Provision for Java command line, `provision [--home HOME] <command> ... --json`, without
    a shell, and parses its JSON output with Ruby's JSON. `provision save` reads the properties as
    `name=value` lines on its standard input (`--properties-from=-`).
  DOC

  # Reads every provision_context of the catalog in one run of the command line per executable
  # and home (`provision show @a @b ... --show-secrets --json`), instead of one `show` a resource:
  # a catalog of N contexts starts the JVM once to read them all.
  # @param resources [Hash{String => Puppet::Type}] the catalog's provision_context resources
  def self.prefetch(resources)
    resources.values.group_by { |r| [r[:provision], r[:home], r[:path], r[:environment]] }.each_value do |group|
      first = group.first.provider
      names = group.map { |r| "@#{r[:name]}" }
      status, result = first.send(:run, ['show'] + names + ['--show-secrets'])
      # Left to each resource's own `show` (and its error) when the batch did not work.
      next unless status.zero? && result['ok'] && result['contexts'].is_a?(Array) && names.size > 1
      found = result['contexts'].map { |c| [c['name'], c] }.to_h
      group.each do |r|
        entry = found["@#{r[:name]}".downcase]
        next if entry.nil?
        r.provider.instance_variable_set(:@context, entry['found'] ? entry['context'] : nil)
      end
    end
  end

  # @return [String] the context name with its `@`
  def at_name
    "@#{resource[:name]}"
  end

  # @return [Hash, nil] the stored context (`provision show --json --show-secrets`'s `context`), or
  #   nil when there is none; read once per run (and again after a change)
  def context
    return @context if defined?(@context)
    status, result = run(['show', at_name, '--show-secrets'])
    if status.zero? && result['ok']
      @context = result['context']
    elsif (result['error'] || {})['type'] == 'context_not_found'
      @context = nil
    else
      failed('show', status, result)
    end
  end

  # @return [Hash{String => String, nil}] every stored property's text form, nil when not set
  def stored_texts
    return {} if context.nil?
    context['properties'].map { |prop, info|
      [prop, info['source'] == 'set' ? resource.class.text(info['value'], prop) : nil]
    }.to_h
  end

  def exists?
    !context.nil?
  end

  def create
    type = resource[:context_type]
    raise Puppet::Error, "#{at_name} does not exist; give its context_type (server, platform or site) to create it" if type.nil?
    wanted = resource.should(:properties) || {}
    save([['context_type', type]] + wanted.sort)
    @created = true
    run_tasks
  end

  def destroy
    stored_type = context['context_type']
    if ['site', 'platform'].include?(stored_type)
      ok(['delete', at_name])
    else
      ok(['save', at_name, '--delete'])
    end
    @context = nil
  end

  # @return [Hash{String => String, nil}] the stored text form of each given property (nil when it
  #   is not set), for comparison with the wanted ones
  def properties
    check_type
    texts = stored_texts
    (resource.should(:properties) || {}).keys.map { |prop| [prop, texts[prop]] }.to_h
  end

  def properties=(wanted)
    texts = stored_texts
    changed = wanted.keys.sort.reject { |prop| resource.class.same_text?(wanted[prop], texts[prop]) }
    @previous = changed.map { |prop| [prop, texts[prop]] }
    saved = save(changed.map { |prop| [prop, wanted[prop]] })
    @saved = saved['changed'] != false
  end

  def installed
    check_type
    stored_texts['installed'] == 'true' ? 'true' : 'false'
  end

  def installed=(_value)
    raise Puppet::Error, "#{at_name}: install applies to sites only, not to a #{context['context_type']}" if context['context_type'] != 'site'
    task('install')
    @tasks_done = true
  end

  # After the properties were saved: verify (unless install ran), as after a create.
  def flush
    return if @created || !@saved || @tasks_done
    task('verify') if resource[:verify] == :true
  end

  # `provision verify`, for a refresh.
  def verify
    ok(['verify', at_name])
  end

  private

  def check_type
    return if context.nil? || resource[:context_type].nil? || context['context_type'] == resource[:context_type]
    raise Puppet::Error, "#{at_name} is a #{context['context_type']}, not a #{resource[:context_type]}"
  end

  # After a create: install (a site with install => true that is not installed), else verify.
  def run_tasks
    if resource[:install] == :true && resource[:context_type] == 'site' && stored_texts['installed'] != 'true'
      task('install')
    elsif resource[:verify] == :true
      task('verify')
    end
    @tasks_done = true
  end

  # Runs a task; when it fails (the command line rolled back what the task did), puts the context
  # back as it was before this run's save, so that the next apply saves and retries.
  def task(name)
    status, result = run([name, at_name])
    return result if status.zero? && result['ok']
    if @created
      run(['save', at_name, '--delete'])
    elsif @previous && !@previous.empty?
      run(['save', at_name], @previous.map { |prop, text| [prop, text.nil? ? 'null' : text] })
    end
    failed(name, status, result)
  end

  # `provision save @name --properties-from=-` with the given (name, text) pairs on stdin.
  # @return [Hash] the saved context (`save --json`'s `context`)
  def save(pairs)
    result = ok(['save', at_name], pairs)
    remove_instance_variable(:@context) if defined?(@context)
    result['context'] || {}
  end

  def ok(args, properties = nil)
    status, result = run(args, properties)
    failed(args.first, status, result) unless status.zero? && result['ok']
    result
  end

  def failed(command, status, result)
    error = result['error'] || {}
    message = error['message'] || "provision #{command} failed (exit status #{status})"
    raise Puppet::Error, "provision #{command}: #{message}"
  end

  # Runs `provision [--home HOME] ARGS --json` without a shell.
  # @param properties [Array<Array(String, String)>, nil] name and text pairs for `--properties-from=-`
  # @return [Array(Integer, Hash)] the exit status and the JSON object it printed
  def run(args, properties = nil)
    cmd = [executable]
    cmd += ['--home', resource[:home]] if resource[:home]
    cmd += args + ['--json']
    stdin = ''
    unless properties.nil?
      cmd << '--properties-from=-'
      stdin = properties.map { |prop, text| "#{prop}=#{text}\n" }.join
    end
    # The command line holds names and options only; the log line too.
    debug("Running #{cmd.join(' ')}")
    out, err, status = Open3.capture3(environment, *cmd, stdin_data: stdin, unsetenv_others: false)
    line = out.lines.map(&:strip).reject(&:empty?).last
    result = begin
      line.nil? ? nil : JSON.parse(line)
    rescue JSON::ParserError
      nil
    end
    unless result.is_a?(Hash)
      raise Puppet::Error, "provision #{args.first} #{at_name}: no JSON output (exit status #{status.exitstatus}): #{err.strip}"
    end
    [status.exitstatus, result]
  end

  def environment
    Array(resource[:environment]).map { |pair| pair.split('=', 2) }.to_h
  end

  def executable
    name = resource[:provision]
    return name if name.include?('/')
    dirs = Array(resource[:path]) + ENV.fetch('PATH', '').split(File::PATH_SEPARATOR)
    found = dirs.map { |dir| File.join(dir, name) }.find { |f| File.file?(f) && File.executable?(f) }
    raise Puppet::Error, "provision_context[#{resource[:name]}]: '#{name}' is not found on #{dirs.join(':')}" if found.nil?
    found
  end
end
