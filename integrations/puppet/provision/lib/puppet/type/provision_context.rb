# frozen_string_literal: true

# The native type provision_context: a Provision for Java context (a server, a platform or a site),
# kept by the `provision` command line through its `--json` output (provider `cli`).
Puppet::Type.newtype(:provision_context) do
  @doc = <<-DOC
    @summary A Provision for Java context (a server, a platform or a site), kept by the `provision`
      command line.

    The provider reads the context with `provision show @name --json --show-secrets` (parsed with
    Ruby's JSON) and compares the given properties with the stored ones; only those that differ are
    saved, with `provision save @name --properties-from=-`, their values on the command's standard
    input: no property value, secret or not, is ever on a command line or in a file. A second apply
    changes nothing.

    * `ensure => present`: the context exists with this type and every given property stored with
      the given value. After a save that created or changed it, `provision verify` runs (unless
      `verify => false`); with `install => true`, `provision install` runs for a site whose
      `installed` property is not true (install does what verify does). When that task fails (the
      command line rolls back what it did), the context is put back as it was (a new one is
      deleted), so the next apply tries again.
    * `ensure => absent`: `provision delete @name` (sites and platforms: what the context made, then
      the context) or `provision save @name --delete` (servers). Order contexts yourself: sites
      before their platform.
    * A notify (`~>`) runs `provision verify` on a context that exists.

    Values are compared in the command line's text form: a context reference with or without `@`
    and in any case (`platform_d10` and `@Platform_D10` both match `@platform_d10`), numbers as
    Integer or String, flags as Boolean, lists as Array (items without commas). Give secrets as
    `Sensitive`: the property is then redacted in Puppet's logs, reports and state files.

    @example
      provision_context { 'example.com':
        ensure       => present,
        context_type => 'site',
        install      => true,
        properties   => {
          'platform' => '@platform_d10',
          'aliases'  => ['www.example.com'],
          'cron_key' => Sensitive($cron_key),
        },
      }
  DOC

  # @return [Boolean] whether the property's values are secrets, by its name; mirrors the command
  #   line's own rule (net.aegirj.provision.cli.Values#isSecret)
  def self.secret_name?(name)
    ['cron_key', 'master_db', 'db_passwd'].include?(name) || name.include?('passw') || name.include?('secret')
  end

  # @return [Array<String>] the names that cannot be given as properties (save's own options, or the type)
  def self.reserved_names
    ['context_type', 'delete', 'help']
  end

  # @return [String, nil] a value in the command line's text form (what follows `name=`)
  def self.text(value, prop = 'value')
    value = value.unwrap if value.respond_to?(:unwrap)
    case value
    when nil then nil
    when true, false then value.to_s
    when Array
      items = value.map { |v| text(v, prop) }
      items.each do |item|
        raise ArgumentError, "property '#{prop}': list items must not contain ','" if item.include?(',')
      end
      items.join(',')
    when Hash then value.map { |k, v| "#{text(k, prop)}=#{text(v, prop)}" }.join(',')
    else value.to_s
    end
  end

  # @return [Boolean] whether a wanted text value equals a stored text value, context references
  #   normalised (`platform_d10` and `@platform_d10`)
  def self.same_text?(wanted, stored)
    return true if wanted == stored
    return false if wanted.nil? || stored.nil?
    if stored.start_with?('@') && wanted =~ %r{\A@?[A-Za-z0-9][A-Za-z0-9._-]*\z}
      return '@' + wanted.sub(%r{\A@+}, '').downcase == stored
    end
    false
  end

  ensurable do
    desc 'Whether the context exists.'
    defaultvalues
    defaultto :present
  end

  newparam(:name, namevar: true) do
    desc 'The context name, with or without the leading `@` (stored in lower case).'
    validate do |value|
      unless value.is_a?(String) && value =~ %r{\A@?[A-Za-z0-9][A-Za-z0-9._-]*\z}
        raise ArgumentError, "'#{value}' is not a context name (letters, digits, '.', '-' and '_')"
      end
    end
    munge { |value| value.sub(%r{\A@+}, '').downcase }
  end

  newparam(:context_type) do
    desc 'The context type: server, platform or site. Required to create a context; it must match an existing one.'
    newvalues(:server, :platform, :site)
    munge(&:to_s)
  end

  newproperty(:properties) do
    desc <<-DOC
      Properties by Aegir's names (`root`, `platform`, `aliases`, `db_server`, ...): String,
      Integer, Boolean, Array of String, or Sensitive. Only the given properties are compared and
      changed; the others keep their stored values. Values with control characters are refused.
    DOC

    # Redacted in logs, reports and state files when a value is Sensitive or the name is a secret's.
    sensitive { @secret_values == true }

    validate do |value|
      raise ArgumentError, 'properties must be a Hash' unless value.is_a?(Hash)
      value.each do |prop, v|
        unless prop.is_a?(String) && prop =~ %r{\A[a-z][a-z0-9_]*\z}
          raise ArgumentError, "'#{prop}' is not a property name (lower-case letters, digits and '_')"
        end
        raise ArgumentError, "property '#{prop}' cannot be given in properties" if resource.class.reserved_names.include?(prop)
        # Never echo the value: it may be a secret.
        text = resource.class.text(v, prop)
        if text.nil? || text =~ %r{[\x00-\x1f\x7f]}
          raise ArgumentError, "property '#{prop}': the value is empty (undef) or has control characters"
        end
      end
    end

    munge do |value|
      value.each do |prop, v|
        @secret_values = true if v.respond_to?(:unwrap) || resource.class.secret_name?(prop)
      end
      value.map { |prop, v| [prop, resource.class.text(v, prop)] }.to_h
    end

    def insync?(is)
      return false unless is.is_a?(Hash)
      should.all? { |prop, text| resource.class.same_text?(text, is[prop]) }
    end

    # The names that differ, never the values (secrets among them).
    def change_to_s(current, wanted)
      current = {} unless current.is_a?(Hash)
      names = wanted.keys.reject { |prop| resource.class.same_text?(wanted[prop], current[prop]) }
      "properties changed: #{names.sort.join(', ')}"
    end

    def is_to_s(value) # rubocop:disable Naming/PredicateName
      value.is_a?(Hash) ? "{#{value.keys.sort.join(', ')}}" : value.to_s
    end

    def should_to_s(value)
      value.is_a?(Hash) ? "{#{value.keys.sort.join(', ')}}" : value.to_s
    end
  end

  newproperty(:installed) do
    desc <<-DOC
      Sites only. `true`: run `provision install` while the site's `installed` property is not true
      (set by `install => true`). An installed site is never installed again.
    DOC
    newvalues(:true, :false)
    munge(&:to_s)

    def insync?(is)
      should != 'true' || is == 'true'
    end
  end

  newparam(:install, boolean: true) do
    desc 'Sites only: install the site while it is not installed (the same as `installed => true`).'
    newvalues(:true, :false)
    defaultto :false
  end

  newparam(:verify, boolean: true) do
    desc 'Run `provision verify` after a save that created or changed the context.'
    newvalues(:true, :false)
    defaultto :true
  end

  newparam(:provision) do
    desc 'The `provision` executable: a path, or a name looked up on `path`.'
    defaultto 'provision'
  end

  newparam(:home) do
    desc 'The Provision home (`--home`); default `$PROVISION_HOME`, else `~/.provision`.'
  end

  newparam(:environment, array_matching: :all) do
    desc 'Environment for the commands, as `NAME=value` strings (`JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64`).'
    defaultto []
    validate do |value|
      Array(value).each do |pair|
        raise ArgumentError, "environment '#{pair}' is not NAME=value" unless pair.is_a?(String) && pair =~ %r{\A[A-Za-z_][A-Za-z0-9_]*=}
      end
    end
  end

  newparam(:path, array_matching: :all) do
    desc 'The directories to look `provision` up in when it is not a path (before `$PATH`).'
    defaultto ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin']
  end

  validate do
    if self[:ensure] != :absent && self[:install] == :true && self[:context_type] && self[:context_type] != 'site'
      raise ArgumentError, 'install applies to sites only'
    end
  end

  # install => true is installed => true.
  def initialize(hash)
    super
    self[:installed] = 'true' if self[:install] == :true && self[:ensure] != :absent && self[:installed].nil?
  end

  # A notify runs `provision verify`.
  def refresh
    provider.verify if self[:ensure] != :absent && provider.exists?
  end
end
