<?php
// Fatoora Onboard server probe (generated __GENERATED_AT__).
// Tests, from this server, the path to ZATCA's FATOORA gateway: DNS, TCP,
// TLS per version, HTTP per environment, the Date header, proxy settings.
// Open it once as  probe.php?token=THE-TOKEN  and DELETE THIS FILE afterwards.
// Runs on PHP 7.2 to 8.3 with standard extensions only.

$FO = json_decode(base64_decode('__CONFIG__'), true);

// A stranger without the token gets nothing: this page must not become a
// free network scanner on someone's hosting.
if (!is_array($FO) || !isset($_GET['token']) || !is_string($_GET['token']) || !hash_equals($FO['token'], $_GET['token'])) {
    http_response_code(403);
    header('Content-Type: text/plain; charset=utf-8');
    echo "403 Forbidden\n";
    exit;
}

@ini_set('display_errors', '0');
$fo_started = microtime(true);
$fo_degraded = array();
$fo_errors = array();

function fo_disabled_list()
{
    static $list = null;
    if ($list === null) {
        $list = array_filter(array_map('trim', explode(',', (string) ini_get('disable_functions'))));
    }
    return $list;
}

function fo_can($function)
{
    return function_exists($function) && !in_array($function, fo_disabled_list(), true);
}

function fo_degrade($function, $effect)
{
    global $fo_degraded;
    $reason = in_array($function, fo_disabled_list(), true)
        ? 'disabled by disable_functions in php.ini'
        : 'not available in this PHP build (extension missing)';
    $fo_degraded[] = array('function' => $function, 'reason' => $reason, 'effect' => $effect);
}

function fo_ms($since)
{
    return (int) round((microtime(true) - $since) * 1000);
}

// PHP reports TLS and socket failures as warnings; collect them so the
// report carries OpenSSL's own words.
function fo_capture_start()
{
    global $fo_errors;
    $fo_errors = array();
    set_error_handler(function ($no, $message) {
        global $fo_errors;
        $fo_errors[] = $message;
        return true;
    });
}

function fo_capture_end()
{
    global $fo_errors;
    restore_error_handler();
    return implode(' | ', $fo_errors);
}

if (fo_can('set_time_limit')) {
    // Every probe has its own deadline; this only keeps the whole page from
    // being cut off by a short max_execution_time.
    @set_time_limit((int) ceil($FO['timeout_s'] * 12 + 30));
}

$host = $FO['host'];
$port = (int) $FO['port'];
$timeout = (float) $FO['timeout_s'];
$is_ip = filter_var($host, FILTER_VALIDATE_IP) !== false;

// --- DNS ---
$dns = array();
$addresses = array();
if ($is_ip) {
    $addresses[] = $host;
} elseif (fo_can('dns_get_record')) {
    foreach (array('A' => DNS_A, 'AAAA' => DNS_AAAA) as $kind => $type) {
        $t = microtime(true);
        fo_capture_start();
        $records = dns_get_record($host, $type);
        $error = fo_capture_end();
        $entry = array('resolver' => 'system', 'server' => 'system (PHP dns_get_record)', 'name' => $host, 'record' => $kind);
        if ($records === false) {
            $entry['outcome'] = 'error';
            $entry['detail'] = $error !== '' ? $error : 'dns_get_record failed';
        } else {
            $found = array();
            foreach ($records as $r) {
                if (isset($r['ip'])) { $found[] = $r['ip']; }
                if (isset($r['ipv6'])) { $found[] = $r['ipv6']; }
            }
            if ($found) {
                $entry['outcome'] = 'resolved';
                $entry['addresses'] = $found;
                $addresses = array_merge($addresses, $found);
            } else {
                $entry['outcome'] = 'no_records';
            }
        }
        $entry['elapsed_ms'] = fo_ms($t);
        $dns[] = $entry;
    }
} else {
    fo_degrade('dns_get_record', 'no per-type DNS lookup (A/AAAA); IPv4 only through gethostbynamel');
    if (fo_can('gethostbynamel')) {
        $t = microtime(true);
        $found = @gethostbynamel($host);
        $entry = array('resolver' => 'system', 'server' => 'system (PHP gethostbynamel)', 'name' => $host, 'record' => 'A');
        if ($found) {
            $entry['outcome'] = 'resolved';
            $entry['addresses'] = $found;
            $addresses = $found;
        } else {
            $entry['outcome'] = 'error';
            $entry['detail'] = 'gethostbynamel found no address';
        }
        $entry['elapsed_ms'] = fo_ms($t);
        $dns[] = $entry;
    } else {
        fo_degrade('gethostbynamel', 'no DNS lookup at all');
    }
}

function fo_endpoint($address, $port)
{
    return (strpos($address, ':') !== false ? '[' . $address . ']' : $address) . ':' . $port;
}

function fo_tcp_outcome($errno, $errstr, $elapsed_ms, $timeout)
{
    $text = strtolower($errstr);
    if ($errno === 111 || strpos($text, 'refused') !== false) { return array('outcome' => 'refused'); }
    if ($errno === 110 || strpos($text, 'timed out') !== false || $elapsed_ms >= $timeout * 1000) { return array('outcome' => 'timed_out'); }
    if ($errno === 101 || $errno === 113 || strpos($text, 'unreachable') !== false) { return array('outcome' => 'unreachable', 'detail' => $errstr); }
    return array('outcome' => 'error', 'detail' => "($errno) $errstr");
}

// --- TCP, per address ---
$tcp = array();
$can_socket = fo_can('stream_socket_client');
if (!$can_socket) {
    fo_degrade('stream_socket_client', 'no TCP, TLS or HTTP probe can run');
}
foreach ($can_socket ? array_unique($addresses) : array() as $address) {
    $t = microtime(true);
    fo_capture_start();
    $socket = stream_socket_client('tcp://' . fo_endpoint($address, $port), $errno, $errstr, $timeout);
    $warnings = fo_capture_end();
    $elapsed = fo_ms($t);
    if ($socket) {
        fclose($socket);
        $entry = array('outcome' => 'connected');
    } else {
        $entry = fo_tcp_outcome($errno, $errstr !== '' ? $errstr : $warnings, $elapsed, $timeout);
    }
    $tcp[] = array_merge(array('address' => fo_endpoint($address, $port)), $entry, array('elapsed_ms' => $elapsed));
}

function fo_cert_name($parsed, $key)
{
    if (!isset($parsed[$key]) || !is_array($parsed[$key])) { return ''; }
    $parts = array();
    foreach ($parsed[$key] as $k => $v) {
        $parts[] = $k . '=' . (is_array($v) ? implode('+', $v) : $v);
    }
    return implode(', ', $parts);
}

function fo_chain($options)
{
    $chain = array();
    if (!isset($options['ssl']['peer_certificate_chain'])) { return $chain; }
    foreach ($options['ssl']['peer_certificate_chain'] as $cert) {
        $parsed = @openssl_x509_parse($cert);
        if (!$parsed) { continue; }
        $chain[] = array(
            'subject' => fo_cert_name($parsed, 'subject'),
            'issuer' => fo_cert_name($parsed, 'issuer'),
            'not_before' => gmdate('Y-m-d\TH:i:s\Z', $parsed['validFrom_time_t']),
            'not_after' => gmdate('Y-m-d\TH:i:s\Z', $parsed['validTo_time_t']),
        );
    }
    return $chain;
}

// One TCP connection then a TLS handshake limited to one protocol version.
// Returns [stream or false, error text, elapsed ms, connected].
function fo_tls_connect($address, $port, $host, $method, $verify, $timeout)
{
    $context = stream_context_create(array('ssl' => array(
        'verify_peer' => $verify,
        'verify_peer_name' => $verify,
        'allow_self_signed' => false,
        'peer_name' => $host,
        'SNI_enabled' => true,
        'capture_peer_cert_chain' => true,
    )));
    $t = microtime(true);
    fo_capture_start();
    $socket = stream_socket_client('tcp://' . fo_endpoint($address, $port), $errno, $errstr, $timeout, STREAM_CLIENT_CONNECT, $context);
    if (!$socket) {
        $error = fo_capture_end();
        return array(false, $errstr !== '' ? $errstr : $error, fo_ms($t), false);
    }
    stream_set_timeout($socket, (int) ceil($timeout));
    $ok = stream_socket_enable_crypto($socket, true, $method);
    $error = fo_capture_end();
    if ($ok !== true) {
        fclose($socket);
        return array(false, $error !== '' ? $error : 'handshake failed', fo_ms($t), true);
    }
    return array($socket, '', fo_ms($t), true);
}

// --- TLS, per address and version ---
$tls = array();
$versions = array();
if (defined('STREAM_CRYPTO_METHOD_TLSv1_3_CLIENT')) {
    $versions['TLS1.3'] = STREAM_CRYPTO_METHOD_TLSv1_3_CLIENT;
} else {
    $fo_degraded[] = array('function' => 'STREAM_CRYPTO_METHOD_TLSv1_3_CLIENT', 'reason' => 'PHP ' . PHP_VERSION . ' cannot pin TLS 1.3 (needs PHP 7.4 or newer)', 'effect' => 'TLS 1.3 not probed on its own');
}
$versions['TLS1.2'] = STREAM_CRYPTO_METHOD_TLSv1_2_CLIENT;
$can_tls = $can_socket && extension_loaded('openssl') && fo_can('stream_socket_enable_crypto') && fo_can('stream_context_create');
if ($can_socket && !$can_tls) {
    fo_degrade(extension_loaded('openssl') ? 'stream_socket_enable_crypto' : 'openssl', 'no TLS or HTTPS probe can run');
}
foreach ($can_tls ? array_unique($addresses) : array() as $address) {
    foreach ($versions as $label => $method) {
        list($socket, $error, $elapsed, $connected) = fo_tls_connect($address, $port, $host, $method, true, $timeout);
        $entry = array('address' => fo_endpoint($address, $port), 'offered' => $label);
        $lower = strtolower($error);
        if ($socket) {
            $meta = stream_get_meta_data($socket);
            $entry += array('outcome' => 'established', 'version' => isset($meta['crypto']['protocol']) ? $meta['crypto']['protocol'] : '',
                'cipher' => isset($meta['crypto']['cipher_name']) ? $meta['crypto']['cipher_name'] : '',
                'chain' => fo_chain(stream_context_get_options($socket)), 'trusted' => true, 'trust_problem' => null);
            fclose($socket);
        } elseif (!$connected) {
            $entry += array('outcome' => 'connect_failed', 'detail' => $error);
        } elseif (strpos($lower, 'certificate verify failed') !== false || strpos($lower, 'peer certificate') !== false) {
            // Look again without verification to show who issued what we got.
            list($socket2, $error2) = fo_tls_connect($address, $port, $host, $method, false, $timeout);
            $chain = array();
            $version = '';
            if ($socket2) {
                $meta = stream_get_meta_data($socket2);
                $version = isset($meta['crypto']['protocol']) ? $meta['crypto']['protocol'] : '';
                $chain = fo_chain(stream_context_get_options($socket2));
                fclose($socket2);
            }
            $entry += array('outcome' => 'established', 'version' => $version, 'cipher' => '', 'chain' => $chain, 'trusted' => false, 'trust_problem' => $error);
        } elseif (strpos($lower, 'protocol version') !== false || strpos($lower, 'unsupported protocol') !== false || strpos($lower, 'no protocols available') !== false) {
            $entry += array('outcome' => 'version_refused', 'detail' => $error);
        } elseif (strpos($lower, 'timed out') !== false || $elapsed >= $timeout * 1000) {
            $entry += array('outcome' => 'stalled');
        } else {
            $entry += array('outcome' => 'failed', 'detail' => $error);
        }
        $entry['elapsed_ms'] = $elapsed;
        $tls[] = $entry;
    }
}

// One HTTPS GET over a plain stream (no cURL or allow_url_fopen needed).
function fo_get($url, $timeout, $want_body)
{
    $parts = parse_url($url);
    $h = isset($parts['host']) ? trim($parts['host'], '[]') : '';
    $p = isset($parts['port']) ? (int) $parts['port'] : 443;
    $path = (isset($parts['path']) ? $parts['path'] : '/') . (isset($parts['query']) ? '?' . $parts['query'] : '');
    $t = microtime(true);
    list($socket, $error, $elapsed, $connected) = fo_tls_connect($h, $p, $h, STREAM_CRYPTO_METHOD_TLS_CLIENT, true, $timeout);
    if (!$socket) {
        $lower = strtolower($error);
        $kind = strpos($lower, 'timed out') !== false ? 'timed_out' : (strpos($lower, 'refused') !== false ? 'refused' : 'other');
        return array('outcome' => 'failed', 'stage' => $connected ? 'tls' : 'tcp', 'kind' => $kind, 'detail' => $error, 'elapsed_ms' => fo_ms($t));
    }
    $host_header = strpos($h, ':') !== false ? '[' . $h . ']' : $h;
    fwrite($socket, "GET $path HTTP/1.1\r\nHost: $host_header\r\nUser-Agent: FatooraOnboard-probe/1\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    $response = '';
    while (!feof($socket) && strlen($response) < 65536) {
        $chunk = fread($socket, 8192);
        if ($chunk === false || ($chunk === '' && stream_get_meta_data($socket)['timed_out'])) { break; }
        $response .= $chunk;
        if (!$want_body && strpos($response, "\r\n\r\n") !== false) { break; }
    }
    fclose($socket);
    $head_end = strpos($response, "\r\n\r\n");
    if (!preg_match('#^HTTP/\d(?:\.\d)? (\d{3})#', $response, $m)) {
        return array('outcome' => 'failed', 'stage' => 'http', 'kind' => 'other', 'detail' => 'no HTTP answer before the deadline', 'elapsed_ms' => fo_ms($t));
    }
    $head = $head_end === false ? $response : substr($response, 0, $head_end);
    $result = array('outcome' => 'answered', 'status' => (int) $m[1], 'server' => null, 'date' => null, 'waf_hints' => array(), 'elapsed_ms' => fo_ms($t));
    foreach (explode("\r\n", $head) as $line) {
        $pair = explode(':', $line, 2);
        if (count($pair) !== 2) { continue; }
        $name = strtolower(trim($pair[0]));
        $value = trim($pair[1]);
        if ($name === 'server') { $result['server'] = $value; }
        if ($name === 'date') { $result['date'] = $value; }
        if (in_array($name, array('x-iinfo', 'x-cdn', 'cf-ray', 'x-amz-cf-id', 'x-sucuri-id'), true)) { $result['waf_hints'][] = $name . ': ' . $value; }
        if ($name === 'set-cookie' && preg_match('/^(TS0|incap_ses|visid_incap|BIGipServer|__cf)/i', $value)) { $result['waf_hints'][] = 'cookie ' . strtok($value, '='); }
    }
    if ($want_body && $head_end !== false) { $result['body'] = substr($response, $head_end + 4, 4096); }
    return $result;
}

// --- HTTP, per environment path ---
$http = array();
foreach ($can_tls ? $FO['environments'] : array() as $environment => $url) {
    $http[] = array_merge(array('environment' => $environment, 'url' => $url, 'route' => 'direct', 'expected' => $FO['expected']), fo_get($url, $timeout, false));
}
$control = null;
if ($can_tls && $FO['control_url'] !== null) {
    $control = array_merge(array('url' => $FO['control_url'], 'route' => 'direct'), fo_get($FO['control_url'], $timeout, false));
}

// --- Clock, from the gateway's Date header ---
$clock = null;
foreach ($http as $probe) {
    if (!empty($probe['date']) && ($server_time = strtotime($probe['date'])) !== false) {
        $local = time();
        $clock = array('source' => $probe['url'], 'server_time' => gmdate('Y-m-d\TH:i:s\Z', $server_time), 'local_time' => gmdate('Y-m-d\TH:i:s\Z', $local), 'skew_seconds' => $local - $server_time, 'tolerance_seconds' => 120);
        break;
    }
}

// --- Outbound IP, only when the user asked for an echo service ---
$outbound_ip = null;
if ($can_tls && $FO['echo_url'] !== null) {
    $echo = fo_get($FO['echo_url'], $timeout, true);
    $outbound_ip = array('url' => $FO['echo_url'], 'ip' => isset($echo['body']) ? substr(trim(strip_tags($echo['body'])), 0, 64) : null, 'detail' => isset($echo['detail']) ? $echo['detail'] : null);
}

// --- Configuration ---
$proxy_variables = array();
foreach (array('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy') as $name) {
    $value = getenv($name);
    if ($value !== false && $value !== '') {
        $proxy_variables[] = array($name, preg_replace('#//[^/@]*@#', '//***@', $value));
    }
}
$curl_version = null;
if (fo_can('curl_version')) {
    $info = curl_version();
    $curl_version = $info['version'] . ' (' . $info['ssl_version'] . ')';
} else {
    fo_degrade('curl_version', 'cURL version not reported (your invoicing system may not be able to use cURL either)');
}

$report = array(
    'schema_version' => 1,
    'tool' => 'fatoora-onboard probe.php',
    'source' => 'php',
    'started_at' => gmdate('Y-m-d\TH:i:s\Z', (int) $fo_started),
    'duration_ms' => fo_ms($fo_started),
    'target' => array('origin' => 'https://' . fo_endpoint($host, $port), 'host' => $host, 'port' => $port, 'timeout_ms' => (int) ($timeout * 1000)),
    'configuration' => array(
        'os' => php_uname('s') . ' ' . php_uname('r'),
        'php_version' => PHP_VERSION,
        'php_sapi' => PHP_SAPI,
        'openssl' => defined('OPENSSL_VERSION_TEXT') ? OPENSSL_VERSION_TEXT : null,
        'curl' => $curl_version,
        'proxy_variables' => $proxy_variables,
        'allow_url_fopen' => (bool) ini_get('allow_url_fopen'),
        'openssl_cafile' => ini_get('openssl.cafile') ?: null,
        'curl_cainfo' => ini_get('curl.cainfo') ?: null,
        'disable_functions' => array_values(fo_disabled_list()),
        'local_time' => gmdate('Y-m-d\TH:i:s\Z'),
    ),
    'dns' => $dns,
    'tcp' => $tcp,
    'tls' => $tls,
    'http' => $http,
    'control' => $control,
    'clock' => $clock,
    'outbound_ip' => $outbound_ip,
    'degraded' => $fo_degraded,
    'reminder' => 'Delete this file from your server now.',
);
$json = json_encode($report, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR);

if (isset($_GET['format']) && $_GET['format'] === 'json') {
    header('Content-Type: application/json; charset=utf-8');
    header('Cache-Control: no-store');
    echo $json, "\n";
    exit;
}

$lines = array('Probe of ' . $report['target']['origin'] . ' from this server, ' . $report['started_at'], '');
foreach ($dns as $d) { $lines[] = sprintf('DNS %-4s %-12s %s (%d ms)', $d['record'], $d['outcome'], isset($d['addresses']) ? implode(', ', $d['addresses']) : (isset($d['detail']) ? $d['detail'] : ''), $d['elapsed_ms']); }
foreach ($tcp as $c) { $lines[] = sprintf('TCP %-28s %-12s (%d ms)', $c['address'], $c['outcome'], $c['elapsed_ms']); }
foreach ($tls as $s) { $lines[] = sprintf('%s %-25s %-15s %s (%d ms)', $s['offered'], $s['address'], $s['outcome'], isset($s['trusted']) && !$s['trusted'] ? 'NOT trusted: ' . $s['trust_problem'] : (isset($s['detail']) ? $s['detail'] : ''), $s['elapsed_ms']); }
foreach (array_merge($http, $control ? array($control) : array()) as $h) { $lines[] = sprintf('GET %s  %s (%d ms)', $h['url'], $h['outcome'] === 'answered' ? 'HTTP ' . $h['status'] : 'failed at ' . $h['stage'] . ': ' . $h['detail'], $h['elapsed_ms']); }
if ($clock) { $lines[] = sprintf('Clock: this server is %+d s from the gateway\'s Date header', $clock['skew_seconds']); }
if ($outbound_ip) { $lines[] = 'Outbound IP as seen by ' . $outbound_ip['url'] . ': ' . $outbound_ip['ip']; }
foreach ($fo_degraded as $d) { $lines[] = 'LIMITED: ' . $d['function'] . ' ' . $d['reason'] . ' - ' . $d['effect']; }
$e = function ($s) { return htmlspecialchars($s, ENT_QUOTES, 'UTF-8'); };
header('Content-Type: text/html; charset=utf-8');
header('Cache-Control: no-store');
header("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'");
?><!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Fatoora Onboard server probe</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto}pre{background:#f4f4f4;padding:1rem;overflow:auto}.warn{background:#fdecea;border:2px solid #c62828;padding:.5rem 1rem}</style></head>
<body>
<p class="warn"><b>Delete this file (probe.php) from your server now.</b> <span dir="rtl" lang="ar">احذف هذا الملف (probe.php) من الخادم الآن.</span></p>
<h1>Server probe of <?php echo $e($report['target']['origin']); ?></h1>
<pre><?php echo $e(implode("\n", $lines)); ?></pre>
<h2>JSON for Fatoora Onboard (save as server.json and import it)</h2>
<pre id="json"><?php echo $e($json); ?></pre>
</body></html>
