/**
 * A small logic-less template language for configuration files, in the spirit of Mustache:
 * {@code {{name}}} inserts a value, {@code {{#name}}…{{/name}}} repeats a block for each element of
 * a list (or shows it when a value is true or present), {@code {{^name}}…{{/name}}} shows a block
 * when a value is false, absent or empty, and {@code {{.}}} is the current list element. Values are
 * inserted verbatim: callers validate every value for the target file's grammar first.
 */
package net.aegirj.provision.services.template;
