<?php
// PHP PDO (pdo_pgsql) client driven by tests/clients (see harness.py for the protocol).
// Connection parameters come from the libpq environment (PGHOST, PGPORT,
// PGDATABASE, PGUSER, PGPASSWORD). The first line on stdin is the request
// {"scenario": ..., "params": ...}; answers are JSON lines on stdout, the last
// one {"result": ...}. Written the way the Laravel application talks to PDO:
// exceptions on, transactions via beginTransaction/commit, nested ones as
// SAVEPOINT transN.
declare(strict_types=1);

$notices = [];

function emit(array $obj): void
{
    fwrite(STDOUT, json_encode($obj) . "\n");
    fflush(STDOUT);
}

// libpq's formatted text, 'ERROR:  msg\nDETAIL:  ...\nHINT:  ...': the only place PDO puts them.
function parse_message(string $text): array
{
    $out = ['severity' => null, 'message' => null, 'detail' => null, 'hint' => null];
    foreach (preg_split('/\R/', trim($text)) as $line) {
        if (!preg_match('/^(?:SQLSTATE\[\w+\]: [^:]*: \d+ )?([A-Z]+):  (.*)$/', $line, $m)) {
            continue;
        }
        if ($m[1] === 'DETAIL') {
            $out['detail'] = $m[2];
        } elseif ($m[1] === 'HINT') {
            $out['hint'] = $m[2];
        } elseif ($out['severity'] === null) {
            $out['severity'] = $m[1];
            $out['message'] = $m[2];
        }
    }
    return $out;
}

function error_of(PDOException $e): array
{
    $parsed = parse_message($e->errorInfo[2] ?? $e->getMessage());
    return ['kind' => get_class($e), 'driver_kind' => get_class($e), 'sqlstate' => (string) $e->getCode(),
            'message' => $parsed['message'], 'detail' => $parsed['detail'], 'hint' => $parsed['hint']];
}

// PDO hands server notices to the application only from PHP 8.4 on
// (Pdo\Pgsql::setNoticeCallback); before that pdo_pgsql drops them.
function notices_supported(): bool
{
    return class_exists('Pdo\\Pgsql') && method_exists('Pdo\\Pgsql', 'setNoticeCallback');
}

function connect(): PDO
{
    global $notices;
    $dsn = sprintf('pgsql:host=%s;port=%s;dbname=%s', getenv('PGHOST'), getenv('PGPORT'), getenv('PGDATABASE'));
    $password = getenv('PGPASSWORD') === false ? null : getenv('PGPASSWORD');
    $options = [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION];
    if (notices_supported()) {
        $pdo = PDO::connect($dsn, getenv('PGUSER'), $password, $options);
        $pdo->setNoticeCallback(function (string $message) use (&$notices): void {
            $notices[] = parse_message($message) + ['sqlstate' => null];
        });
        return $pdo;
    }
    return new PDO($dsn, getenv('PGUSER'), $password, $options);
}

// Who is acting (DESIGN §1.3), as an application tags its transaction.
function tag(PDO $pdo): void
{
    $pdo->query("SELECT set_config('dbguard.actor', 'retell_ai', true), set_config('dbguard.source', 'retell_webhook', true)");
}

// A phone-AI booking: the call with its claim, then its appointment, one transaction.
// Broken: the appointment INSERT fails inside a savepoint (Laravel's nested
// transaction), the app swallows it and commits.
function booking(array $p, bool $broken): array
{
    $out = ['error' => null, 'swallowed' => null];
    $pdo = connect();
    try {
        $pdo->beginTransaction();
        tag($pdo);
        $call = $pdo->prepare(
            "INSERT INTO public.calls (company_id, retell_call_id, direction, booking_id, booking_confirmed, appointment_made, session_outcome)
             VALUES (?, ?, 'inbound', ?, true, true, 'appointment_booked') RETURNING id");
        $call->execute([$p['company_id'], $p['retell_call_id'], $p['booking_id']]);
        $out['call_id'] = (int) $call->fetchColumn();
        $appointment = $pdo->prepare(
            "INSERT INTO public.appointments (company_id, call_id, starts_at, ends_at, status, calcom_v2_booking_id)
             VALUES (?, ?, ?, ?, 'scheduled', ?) RETURNING id");
        $values = [$p['company_id'], $out['call_id'], $p['starts_at'], $broken ? $p['starts_at'] : $p['ends_at'], $p['booking_id']];
        if ($broken) {
            $pdo->exec('SAVEPOINT trans2');
            try {
                $appointment->execute($values);
                $pdo->exec('RELEASE SAVEPOINT trans2');
            } catch (PDOException $e) {
                $pdo->exec('ROLLBACK TO SAVEPOINT trans2');
                $out['swallowed'] = error_of($e);
            }
        } else {
            $appointment->execute($values);
            $out['appointment_id'] = (int) $appointment->fetchColumn();
        }
        $pdo->commit();
    } catch (PDOException $e) {
        $out['error'] = error_of($e);
    }
    return $out;
}

function probe(array $p): array
{
    $out = ['error' => null];
    $pdo = connect();
    try {
        $pdo->beginTransaction();
        $pdo->exec($p['warning_sql']);
        $pdo->exec($p['error_sql']);
        $pdo->commit();
    } catch (PDOException $e) {
        $out['error'] = error_of($e);
    }
    return $out;
}

// Transactions writing an appointment of each lead, in the given order. Each waits for a
// line on stdin before it begins and again between its two writes: the harness starts
// the transactions of all clients together and holds them until all have written once.
function opposite(array $p): array
{
    [$first, $second] = $p['leads'];
    $start = new DateTimeImmutable($p['starts_at']);
    $pdo = connect();
    $insert = $pdo->prepare(
        "INSERT INTO public.appointments (company_id, lead_id, starts_at, ends_at, status) VALUES (?, ?, ?, ?, 'scheduled')");
    for ($i = 0; $i < $p['pairs']; $i++) {
        $error = null;
        fgets(STDIN);
        try {
            $pdo->beginTransaction();
            foreach ([$first, $second] as $n => $lead) {
                $at = $start->modify(sprintf('+%d hours', $i * 24 + $n));
                $insert->execute([$p['company_id'], $lead, $at->format(DATE_ATOM), $at->modify('+30 minutes')->format(DATE_ATOM)]);
                if ($n === 0) {
                    emit(['ready' => $i]);
                    fgets(STDIN);
                }
            }
            $pdo->commit();
        } catch (PDOException $e) {
            $error = error_of($e);
            if ($pdo->inTransaction()) {
                $pdo->rollBack();
            }
        }
        emit(['done' => $i, 'error' => $error]);
    }
    return [];
}

// COPY ... FROM STDIN the PDO way (pgsqlCopyFromArray), in one transaction.
function copy_rows(array $p): array
{
    $out = ['error' => null];
    $pdo = connect();
    $rows = array_map(fn (array $row): string => implode("\t", array_map(fn ($v) => $v === null ? '\\N' : (string) $v, $row)), $p['rows']);
    try {
        $pdo->beginTransaction();
        $pdo->pgsqlCopyFromArray('public.' . $p['table'], $rows, "\t", '\\\\N', implode(', ', $p['columns']));
        $pdo->commit();
    } catch (PDOException $e) {
        $out['error'] = error_of($e);
    }
    return $out;
}

$request = json_decode(fgets(STDIN), true);
$params = $request['params'];
$result = match ($request['scenario']) {
    'happy' => booking($params, false),
    'broken' => booking($params, true),
    'probe' => probe($params),
    'opposite' => opposite($params),
    'copy' => copy_rows($params),
};
$result['notices'] = $notices;
$result['notices_supported'] = notices_supported();
emit(['result' => $result]);
