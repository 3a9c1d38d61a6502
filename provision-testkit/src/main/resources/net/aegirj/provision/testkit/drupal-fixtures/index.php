<?php

/**
 * @file
 * Front controller of the Provision testkit's Drupal fixture platforms (not
 * Drupal: no code of Drupal).
 *
 * Finds the site directory from the Host header as Drupal does (sites/sites.php
 * aliases, then sites/<port>.<host>, then sites/<host>), includes its
 * settings.php, connects to $databases['default']['default'] with PDO and
 * answers in text/plain:
 *
 * GET /user/reset/<uid>/<timestamp>/<token>/login
 *   200 "login ok uid=<uid>" once for a link the Drush stand-in issued (unused,
 *   less than a day old); the login uses up every link of that user. Else 403
 *   "login refused".
 * anything else
 *   200, one line:
 *   host=<Host> site=<dir|none> installed=<yes|no> schema=<n|none>
 *   profile=<p|none> release=<core version> cron=<runs> db=<database|none|error:...>
 */

header('Content-Type: text/plain; charset=utf-8');

$root = __DIR__;
$release = 'none';
if (is_file($root . '/core/lib/Drupal.php')
  && preg_match("/const VERSION = '([^']+)';/", file_get_contents($root . '/core/lib/Drupal.php'), $m)) {
  $release = $m[1];
}
elseif (is_file($root . '/includes/bootstrap.inc')
  && preg_match("/define\('VERSION', '([^']+)'\);/", file_get_contents($root . '/includes/bootstrap.inc'), $m)) {
  $release = $m[1];
}

$raw_host = isset($_SERVER['HTTP_HOST']) ? (string) $_SERVER['HTTP_HOST'] : '';
$host = strtolower(rtrim(preg_replace('/:\d+$/', '', $raw_host), '.'));
$port = preg_match('/:(\d+)$/', $raw_host, $m) ? $m[1] : NULL;

$site = NULL;
if (preg_match('/^[a-z0-9][a-z0-9._-]*$/', $host) && strpos($host, '..') === FALSE) {
  $sites = [];
  if (is_file($root . '/sites/sites.php')) {
    include $root . '/sites/sites.php';
  }
  foreach ($port !== NULL ? [$port . '.' . $host, $host] : [$host] as $name) {
    if (isset($sites[$name]) && is_string($sites[$name]) && strpos($sites[$name], '..') === FALSE
      && strpos($sites[$name], '/') === FALSE && is_dir($root . '/sites/' . $sites[$name])) {
      $site = $sites[$name];
      break;
    }
    if (is_dir($root . '/sites/' . $name)) {
      $site = $name;
      break;
    }
  }
}

$pdo = NULL;
$db = 'none';
if ($site !== NULL && is_file($root . '/sites/' . $site . '/settings.php')) {
  if (!defined('DRUPAL_ROOT')) {
    define('DRUPAL_ROOT', $root);
  }
  $settings_vars = (static function (string $app_root, string $site_path) {
    $databases = [];
    $settings = [];
    $config = [];
    $conf = [];
    include $app_root . '/' . $site_path . '/settings.php';
    return ['databases' => $databases];
  })($root, 'sites/' . $site);
  $conn = $settings_vars['databases']['default']['default'] ?? NULL;
  if (is_array($conn) && !empty($conn['database'])) {
    try {
      $dsn = 'mysql:' . (!empty($conn['unix_socket']) ? 'unix_socket=' . $conn['unix_socket']
          : 'host=' . ($conn['host'] ?? 'localhost') . (!empty($conn['port']) ? ';port=' . $conn['port'] : ''))
        . ';dbname=' . $conn['database'] . ';charset=utf8mb4';
      $pdo = new PDO($dsn, $conn['username'] ?? '', $conn['password'] ?? '', [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_TIMEOUT => 10,
      ]);
      $db = (string) $pdo->query('SELECT DATABASE()')->fetchColumn();
    }
    catch (Throwable $e) {
      $pdo = NULL;
      $db = 'error:' . $e->getMessage();
    }
  }
}

$state = [];
if ($pdo !== NULL) {
  try {
    if ($pdo->query("SHOW TABLES LIKE 'fixture_state'")->fetchColumn() !== FALSE) {
      $state = $pdo->query('SELECT name, value FROM fixture_state')->fetchAll(PDO::FETCH_KEY_PAIR);
      $state['cron'] = (string) $pdo->query('SELECT COUNT(*) FROM cron_runs')->fetchColumn();
    }
  }
  catch (Throwable $e) {
    $db = 'error:' . $e->getMessage();
    $state = [];
  }
}

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
if (preg_match('#^/user/reset/(\d+)/(\d+)/([A-Za-z0-9_-]+)/login$#', $path, $m)) {
  $ok = FALSE;
  if ($pdo !== NULL && isset($state['schema_version'])) {
    [, $uid, $timestamp, $token] = $m;
    $pdo->beginTransaction();
    $use = $pdo->prepare('UPDATE login_tokens SET used = ? WHERE token = ? AND uid = ? AND created = ? AND used IS NULL AND created > ?');
    $use->execute([time(), $token, (int) $uid, (int) $timestamp, time() - 86400]);
    $ok = $use->rowCount() === 1;
    if ($ok) {
      $pdo->prepare('UPDATE login_tokens SET used = ? WHERE uid = ? AND used IS NULL')->execute([time(), (int) $uid]);
      $pdo->prepare('UPDATE users SET login = ? WHERE uid = ?')->execute([time(), (int) $uid]);
    }
    $pdo->commit();
  }
  if ($ok) {
    print 'login ok uid=' . (int) $m[1] . "\n";
  }
  else {
    http_response_code(403);
    print "login refused\n";
  }
  exit;
}

print 'host=' . $raw_host
  . ' site=' . ($site ?? 'none')
  . ' installed=' . (isset($state['schema_version']) ? 'yes' : 'no')
  . ' schema=' . ($state['schema_version'] ?? 'none')
  . ' profile=' . ($state['profile'] ?? 'none')
  . ' release=' . $release
  . ' cron=' . ($state['cron'] ?? '0')
  . ' db=' . preg_replace('/\s+/', ' ', $db) . "\n";
