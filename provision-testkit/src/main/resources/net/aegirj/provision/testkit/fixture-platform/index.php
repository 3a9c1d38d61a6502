<?php

/**
 * @file
 * Front controller of the Provision testkit's fixture platform.
 *
 * Prints one line of plain text:
 *   host=<HTTP_HOST> site=<site directory> db=<current database>
 * where the site directory is the request's host name (port and trailing dot
 * removed, lower case) when sites/<host>/ exists, else "none"; and the current
 * database is the result of SELECT DATABASE() over PDO with the connection
 * given by the web server in db_type, db_host, db_port, db_name, db_user and
 * db_passwd (as Aegir's vhosts pass them) when db_name is set, else "none", or
 * "error:<message>" when the connection or the query fails.
 */

header('Content-Type: text/plain; charset=utf-8');

$raw_host = isset($_SERVER['HTTP_HOST']) ? (string) $_SERVER['HTTP_HOST'] : '';
$host = strtolower(rtrim(preg_replace('/:\d+$/', '', $raw_host), '.'));

$site = 'none';
if (preg_match('/^[a-z0-9][a-z0-9._-]*$/', $host) && strpos($host, '..') === FALSE
    && is_dir(__DIR__ . '/sites/' . $host)) {
  $site = $host;
}

$db = 'none';
if (!empty($_SERVER['db_name'])) {
  $type = !empty($_SERVER['db_type']) ? (string) $_SERVER['db_type'] : 'mysql';
  if ($type === 'mysqli') {
    $type = 'mysql';
  }
  if (!in_array($type, PDO::getAvailableDrivers(), TRUE)) {
    $db = 'error:the PDO driver ' . $type . ' is missing (install the Debian package php-' . $type . ')';
  }
  else {
    try {
      $dsn = $type . ':host=' . ($_SERVER['db_host'] ?? '127.0.0.1')
        . (!empty($_SERVER['db_port']) ? ';port=' . $_SERVER['db_port'] : '')
        . ';dbname=' . $_SERVER['db_name'];
      $pdo = new PDO($dsn, $_SERVER['db_user'] ?? '', $_SERVER['db_passwd'] ?? '', [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
        PDO::ATTR_TIMEOUT => 10,
      ]);
      $query = $type === 'pgsql' ? 'SELECT current_database()' : 'SELECT DATABASE()';
      $db = (string) $pdo->query($query)->fetchColumn();
    }
    catch (Throwable $e) {
      $db = 'error:' . $e->getMessage();
    }
  }
}

print 'host=' . $raw_host . ' site=' . $site . ' db=' . preg_replace('/\s+/', ' ', $db) . "\n";
