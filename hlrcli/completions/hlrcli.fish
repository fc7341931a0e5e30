# hlrcli completion for fish. GENERATED from the app by completions/generate.py: do not edit.
# Regenerate: python completions/generate.py    Check it is current: python completions/generate.py --check
# Static on purpose: completing never starts Python, so TAB answers at once.
# Install: copy to ~/.config/fish/completions/hlrcli.fish (fish loads it on the first TAB).

# Subcommands of a group ($argv[1] is its path, '' for hlrcli itself), one per line.
function __hlrcli_subcommands
    switch "$argv[1]"
        case ''
            printf '%s\n' balance batch completion config coverage doctor jobs lookup mnp networks nt price providers rental-status report routes status validate webhook
        case 'config'
            printf '%s\n' path set show unset
        case 'jobs'
            printf '%s\n' delete diff list poll prune results show
        case 'webhook'
            printf '%s\n' serve url
    end
end

# A group's options that take a value (their value is skipped when looking for subcommands).
function __hlrcli_value_options
    switch "$argv[1]"
    end
end

# The command path before the cursor ("" for hlrcli itself, "config show", ...). Every `complete` condition
# below asks for it, so it is computed once per command line.
function __hlrcli_path
    set -l line (commandline -pc)
    if test "$line" = "$__hlrcli_cached_line"
        echo $__hlrcli_cached_path
        return
    end
    set -l path
    set -l skip 0
    set -l tokens (commandline -opc)
    set -e tokens[1]
    for tok in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $tok
            case --
                break
            case '--*=*'
                continue
            case '-?*'
                if contains -- $tok (__hlrcli_value_options "$path")
                    set skip 1
                end
            case '*'
                if contains -- $tok (__hlrcli_subcommands "$path")
                    set -a path $tok
                else
                    break
                end
        end
    end
    set -g __hlrcli_cached_line $line
    set -g __hlrcli_cached_path "$path"
    echo "$path"
end

# True when the command path before the cursor is exactly the arguments ("__hlrcli_at config show").
function __hlrcli_at
    set -l path (__hlrcli_path)
    test "$path" = "$argv"
end

# No file names unless a command asks for them below.
complete -c hlrcli -f

# hlrcli
complete -c hlrcli -n '__hlrcli_at' -a balance -d 'Account balance (hlrlookups: EUR; smspartner: balance and HLR/SMS credits).'
complete -c hlrcli -n '__hlrcli_at' -a batch -d 'Look up every number of a CSV file or stdin; write every row back, enriched, in input order.'
complete -c hlrcli -n '__hlrcli_at' -a completion -d 'Print the static completion script for SHELL (no interpreter starts on TAB; install lines in the...'
complete -c hlrcli -n '__hlrcli_at' -a config -d 'Show or change settings (flag > environment > .env > config file > default).'
complete -c hlrcli -n '__hlrcli_at' -a coverage -d 'Coverage: per network and route, the share of CONNECTED/ABSENT/… answers (hlr), or MNP networks.'
complete -c hlrcli -n '__hlrcli_at' -a doctor -d 'Check each configured provider: configuration, reachability, clock skew, authentication, balance.'
complete -c hlrcli -n '__hlrcli_at' -a jobs -d 'Batch jobs in the local store: list, show, results, poll, diff, prune, delete.'
complete -c hlrcli -n '__hlrcli_at' -a lookup -d 'HLR lookup: is the number live (CONNECTED/ABSENT/INVALID_MSISDN/UNDETERMINED), network, porting,...'
complete -c hlrcli -n '__hlrcli_at' -a mnp -d 'MNP lookup: the network a number belongs to now, and whether it was ported.'
complete -c hlrcli -n '__hlrcli_at' -a networks -d 'Mobile networks (MCC/MNC, brand, operator), for one country or all.'
complete -c hlrcli -n '__hlrcli_at' -a nt -d 'Number type: landline, mobile, VoIP, toll-free, premium… (offline: free, from libphonenumber).'
complete -c hlrcli -n '__hlrcli_at' -a price -d 'Prices: of one lookup for a number, or (no number) the whole price list (affiliate: a tariff\'s...'
complete -c hlrcli -n '__hlrcli_at' -a providers -d 'What each provider can do, and which ones are configured.'
complete -c hlrcli -n '__hlrcli_at' -a rental-status -d 'SMS Partner contact rental: status, targeting, volumes and cost of a rental.'
complete -c hlrcli -n '__hlrcli_at' -a report -d 'Counts and percentages by status, network, country, porting, roaming, number type and error, plus...'
complete -c hlrcli -n '__hlrcli_at' -a routes -d 'Routes: the lists of routes, the recommended route for a number, or (--map) the routing map.'
complete -c hlrcli -n '__hlrcli_at' -a status -d 'Result of an asynchronous HLR request (affiliate): CONNECTED/ABSENT/…, or PENDING while still...'
complete -c hlrcli -n '__hlrcli_at' -a validate -d 'Format check, free: valid or not (and why), type, country, E.164/international/national forms.'
complete -c hlrcli -n '__hlrcli_at' -a webhook -d 'Receive asynchronous results from the providers (webhook receiver).'
complete -c hlrcli -n '__hlrcli_at' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'
complete -c hlrcli -n '__hlrcli_at' -s V -l version -d 'print the version and exit'

# hlrcli balance
complete -c hlrcli -n '__hlrcli_at balance' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at balance' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at balance' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at balance' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at balance' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at balance' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at balance' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at balance' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at balance' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at balance' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at balance' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli batch
complete -c hlrcli -n '__hlrcli_at batch' -l again -d 'look a finished job\'s numbers up again, paying again (asks first)'
complete -c hlrcli -n '__hlrcli_at batch' -l callback-url -x -d 'affiliate callback_url'
complete -c hlrcli -n '__hlrcli_at batch' -l column -x -d 'column holding the numbers (name or 1-based)'
complete -c hlrcli -n '__hlrcli_at batch' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at batch' -s j -l concurrency -x -d 'parallel requests (sync) [default: 8]'
complete -c hlrcli -n '__hlrcli_at batch' -s c -l country -x -d 'country (ISO code, e.g. DE) for numbers written in national format'
complete -c hlrcli -n '__hlrcli_at batch' -l dry-run -d 'count and estimate the cost; send nothing'
complete -c hlrcli -n '__hlrcli_at batch' -l encoding -x -d 'the input\'s encoding [default: UTF-8, else detected]'
complete -c hlrcli -n '__hlrcli_at batch' -l excel -d 'CSV for Excel: UTF-8 with BOM, ; separated'
complete -c hlrcli -n '__hlrcli_at batch' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at batch' -l give-up-after -x -d 'how long rate limiting (HTTP 429) is waited out before a row is given up [HLRCLI_GIVE_UP_AFTER: 15m]'
complete -c hlrcli -n '__hlrcli_at batch' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at batch' -l job -x -d 'job name [default: from input content and options]'
complete -c hlrcli -n '__hlrcli_at batch' -l max-age -x -d 'reuse a result of the same provider and type younger than this (e.g. 30d) from any job instead of paying [HLRCLI_MAX_AGE]'
complete -c hlrcli -n '__hlrcli_at batch' -l max-cost -x -d 'refuse or stop when the cost (EUR) would exceed this'
complete -c hlrcli -n '__hlrcli_at batch' -l mode -x -a 'sync async' -d 'sync or async [default: sync where the provider can]'
complete -c hlrcli -n '__hlrcli_at batch' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at batch' -l notify-url -x -d 'smspartner notifyUrl'
complete -c hlrcli -n '__hlrcli_at batch' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at batch' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at batch' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at batch' -l rate -x -d 'request pace, e.g. 300/min'
complete -c hlrcli -n '__hlrcli_at batch' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at batch' -l resubmit-uncertain -d 'also resend requests whose answer was lost (may pay twice)'
complete -c hlrcli -n '__hlrcli_at batch' -l resume -d 'continue a job: nothing already sent is sent again'
complete -c hlrcli -n '__hlrcli_at batch' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at batch' -l route -x -d 'hlrlookups route id'
complete -c hlrcli -n '__hlrcli_at batch' -l storage -x -d 'hlrlookups storage name'
complete -c hlrcli -n '__hlrcli_at batch' -l tag -x -d 'smspartner tag'
complete -c hlrcli -n '__hlrcli_at batch' -l tariff -x -d 'affiliate tariff 0-9'
complete -c hlrcli -n '__hlrcli_at batch' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at batch' -s t -l type -x -a 'hlr mnp nt' -d 'lookup type [default: hlr; with --resume: the job\'s]'
complete -c hlrcli -n '__hlrcli_at batch' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'
complete -c hlrcli -n '__hlrcli_at batch' -s y -l yes -d 'no confirmation questions'
complete -c hlrcli -n '__hlrcli_at batch' -F

# hlrcli completion
complete -c hlrcli -n '__hlrcli_at completion' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at completion' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at completion' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'
complete -c hlrcli -n '__hlrcli_at completion' -a 'bash zsh fish'

# hlrcli config
complete -c hlrcli -n '__hlrcli_at config' -a path -d 'Where the config file is (HLRCLI_CONFIG overrides).'
complete -c hlrcli -n '__hlrcli_at config' -a set -d 'Store a setting in the config file (created with mode 600: it may hold secrets); the value is...'
complete -c hlrcli -n '__hlrcli_at config' -a show -d 'Every setting with its value (secrets show at most their last 4 characters) and its source (-p...'
complete -c hlrcli -n '__hlrcli_at config' -a unset -d 'Remove a setting from the config file.'
complete -c hlrcli -n '__hlrcli_at config' -s h -l help -d 'Show this message and exit.'

# hlrcli config path
complete -c hlrcli -n '__hlrcli_at config path' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at config path' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at config path' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli config set
complete -c hlrcli -n '__hlrcli_at config set' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at config set' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at config set' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli config show
complete -c hlrcli -n '__hlrcli_at config show' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at config show' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at config show' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at config show' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at config show' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at config show' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at config show' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at config show' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at config show' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli config unset
complete -c hlrcli -n '__hlrcli_at config unset' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at config unset' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at config unset' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli coverage
complete -c hlrcli -n '__hlrcli_at coverage' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at coverage' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at coverage' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at coverage' -l mnp-countries -d 'list countries where only MNP (no HLR) is available'
complete -c hlrcli -n '__hlrcli_at coverage' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at coverage' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at coverage' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at coverage' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at coverage' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at coverage' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at coverage' -l sample-size -x -a 'LARGE MEDIUM SMALL' -d 'hlr: statistics sample'
complete -c hlrcli -n '__hlrcli_at coverage' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at coverage' -s t -l type -x -a 'hlr mnp' -d 'hlr or mnp coverage'
complete -c hlrcli -n '__hlrcli_at coverage' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli doctor
complete -c hlrcli -n '__hlrcli_at doctor' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at doctor' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at doctor' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at doctor' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at doctor' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at doctor' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at doctor' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at doctor' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at doctor' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at doctor' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at doctor' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli jobs
complete -c hlrcli -n '__hlrcli_at jobs' -a delete -d 'Delete one job and its journal (results already received stay, as unmatched).'
complete -c hlrcli -n '__hlrcli_at jobs' -a diff -d 'What changed between two runs of a list: status, current network, ported or roaming per number;...'
complete -c hlrcli -n '__hlrcli_at jobs' -a list -d 'Every job: provider, type, state (awaiting results while any are due), rows, results, pending, cost.'
complete -c hlrcli -n '__hlrcli_at jobs' -a poll -d 'Fetch the results still awaited from the provider (affiliate: GET /hlr/{id}); safe to repeat.'
complete -c hlrcli -n '__hlrcli_at jobs' -a prune -d 'Delete jobs (and unmatched results) not touched for longer than --older-than.'
complete -c hlrcli -n '__hlrcli_at jobs' -a results -d 'The job\'s input rows, in order, joined with their results (rows still awaited say PENDING).'
complete -c hlrcli -n '__hlrcli_at jobs' -a show -d 'A job\'s options, counts per state, chunk states (uncertain ones included) and cost (billed and...'
complete -c hlrcli -n '__hlrcli_at jobs' -s h -l help -d 'Show this message and exit.'

# hlrcli jobs delete
complete -c hlrcli -n '__hlrcli_at jobs delete' -l force -d 'delete even if paid results are still awaited'
complete -c hlrcli -n '__hlrcli_at jobs delete' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at jobs delete' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at jobs delete' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'
complete -c hlrcli -n '__hlrcli_at jobs delete' -f -a '(command hlrcli jobs names 2>/dev/null)'

# hlrcli jobs diff
complete -c hlrcli -n '__hlrcli_at jobs diff' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at jobs diff' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at jobs diff' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at jobs diff' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at jobs diff' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at jobs diff' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at jobs diff' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at jobs diff' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'
complete -c hlrcli -n '__hlrcli_at jobs diff' -f -a '(command hlrcli jobs names 2>/dev/null)'

# hlrcli jobs list
complete -c hlrcli -n '__hlrcli_at jobs list' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at jobs list' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at jobs list' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at jobs list' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at jobs list' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at jobs list' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at jobs list' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at jobs list' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli jobs poll
complete -c hlrcli -n '__hlrcli_at jobs poll' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at jobs poll' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at jobs poll' -l rate -x -d 'request pace, e.g. 120/min'
complete -c hlrcli -n '__hlrcli_at jobs poll' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at jobs poll' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at jobs poll' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'
complete -c hlrcli -n '__hlrcli_at jobs poll' -f -a '(command hlrcli jobs names 2>/dev/null)'

# hlrcli jobs prune
complete -c hlrcli -n '__hlrcli_at jobs prune' -l dry-run -d 'list what would be removed; remove nothing'
complete -c hlrcli -n '__hlrcli_at jobs prune' -l force -d 'also remove jobs still awaiting paid results'
complete -c hlrcli -n '__hlrcli_at jobs prune' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at jobs prune' -l older-than -x -d 'age with a unit, e.g. 30d, 12h, 2w'
complete -c hlrcli -n '__hlrcli_at jobs prune' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at jobs prune' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli jobs results
complete -c hlrcli -n '__hlrcli_at jobs results' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at jobs results' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at jobs results' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at jobs results' -l interval -x -d 'seconds between checks with --wait'
complete -c hlrcli -n '__hlrcli_at jobs results' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at jobs results' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at jobs results' -l partial -d 'with --wait: write -o even if results are still awaited'
complete -c hlrcli -n '__hlrcli_at jobs results' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at jobs results' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at jobs results' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at jobs results' -l timeout -x -d 'seconds to wait with --wait'
complete -c hlrcli -n '__hlrcli_at jobs results' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'
complete -c hlrcli -n '__hlrcli_at jobs results' -l wait -d 'block until no result is awaited (or --timeout)'
complete -c hlrcli -n '__hlrcli_at jobs results' -f -a '(command hlrcli jobs names 2>/dev/null)'

# hlrcli jobs show
complete -c hlrcli -n '__hlrcli_at jobs show' -l chunks -d 'list the job\'s chunks (async) instead'
complete -c hlrcli -n '__hlrcli_at jobs show' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at jobs show' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at jobs show' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at jobs show' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at jobs show' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at jobs show' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at jobs show' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at jobs show' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'
complete -c hlrcli -n '__hlrcli_at jobs show' -f -a '(command hlrcli jobs names 2>/dev/null)'

# hlrcli lookup
complete -c hlrcli -n '__hlrcli_at lookup' -l callback-url -x -d 'affiliate: results URL'
complete -c hlrcli -n '__hlrcli_at lookup' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at lookup' -s c -l country -x -d 'country (ISO code, e.g. DE) for numbers written in national format'
complete -c hlrcli -n '__hlrcli_at lookup' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at lookup' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at lookup' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at lookup' -l notify-url -x -d 'smspartner: where results are POSTed'
complete -c hlrcli -n '__hlrcli_at lookup' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at lookup' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at lookup' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at lookup' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at lookup' -l reference -x -d 'affiliate: your reference for one number, ≤ 32 letters/digits [default: derived from number and day]'
complete -c hlrcli -n '__hlrcli_at lookup' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at lookup' -l route -x -d 'hlrlookups route id (3 characters)'
complete -c hlrcli -n '__hlrcli_at lookup' -l storage -x -d 'hlrlookups storage (report) name'
complete -c hlrcli -n '__hlrcli_at lookup' -l tag -x -d 'smspartner: tag (≤ 20 characters)'
complete -c hlrcli -n '__hlrcli_at lookup' -l tariff -x -d 'affiliate: tariff 0-9'
complete -c hlrcli -n '__hlrcli_at lookup' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at lookup' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli mnp
complete -c hlrcli -n '__hlrcli_at mnp' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at mnp' -s c -l country -x -d 'country (ISO code, e.g. DE) for numbers written in national format'
complete -c hlrcli -n '__hlrcli_at mnp' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at mnp' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at mnp' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at mnp' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at mnp' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at mnp' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at mnp' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at mnp' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at mnp' -l route -x -d 'hlrlookups route id (3 characters)'
complete -c hlrcli -n '__hlrcli_at mnp' -l storage -x -d 'hlrlookups storage (report) name'
complete -c hlrcli -n '__hlrcli_at mnp' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at mnp' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli networks
complete -c hlrcli -n '__hlrcli_at networks' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at networks' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at networks' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at networks' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at networks' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at networks' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at networks' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at networks' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at networks' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at networks' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at networks' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli nt
complete -c hlrcli -n '__hlrcli_at nt' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at nt' -s c -l country -x -d 'country (ISO code, e.g. DE) for numbers written in national format'
complete -c hlrcli -n '__hlrcli_at nt' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at nt' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at nt' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at nt' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at nt' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at nt' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at nt' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at nt' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at nt' -l route -x -d 'hlrlookups route id (3 characters)'
complete -c hlrcli -n '__hlrcli_at nt' -l storage -x -d 'hlrlookups storage (report) name'
complete -c hlrcli -n '__hlrcli_at nt' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at nt' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli price
complete -c hlrcli -n '__hlrcli_at price' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at price' -s c -l country -x -d 'country (ISO code, e.g. DE) for numbers written in national format'
complete -c hlrcli -n '__hlrcli_at price' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at price' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at price' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at price' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at price' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at price' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at price' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at price' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at price' -l route -x -d 'hlrlookups route id'
complete -c hlrcli -n '__hlrcli_at price' -l tariff -x -d 'affiliate tariff 0-9'
complete -c hlrcli -n '__hlrcli_at price' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at price' -s t -l type -x -a 'HLR MNP NT' -d 'lookup type'
complete -c hlrcli -n '__hlrcli_at price' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli providers
complete -c hlrcli -n '__hlrcli_at providers' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at providers' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at providers' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at providers' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at providers' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at providers' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at providers' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at providers' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli rental-status
complete -c hlrcli -n '__hlrcli_at rental-status' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at rental-status' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at rental-status' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at rental-status' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at rental-status' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at rental-status' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at rental-status' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at rental-status' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at rental-status' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at rental-status' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at rental-status' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli report
complete -c hlrcli -n '__hlrcli_at report' -l against -x -a '(command hlrcli jobs names 2>/dev/null)' -d 'an earlier job: the same dimensions side by side, with the change'
complete -c hlrcli -n '__hlrcli_at report' -l by -x -d 'dimensions: status, network, original_network, country, ported, roaming, number_type, error [default: those the results have]'
complete -c hlrcli -n '__hlrcli_at report' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at report' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at report' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at report' -l html -r -F -d 'also write one self-contained HTML page (charts, figures, options)'
complete -c hlrcli -n '__hlrcli_at report' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at report' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at report' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at report' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at report' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'
complete -c hlrcli -n '__hlrcli_at report' -f -a '(command hlrcli jobs names 2>/dev/null)'

# hlrcli routes
complete -c hlrcli -n '__hlrcli_at routes' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at routes' -s c -l country -x -d 'country (ISO code, e.g. DE) for numbers written in national format'
complete -c hlrcli -n '__hlrcli_at routes' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at routes' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at routes' -l map -d 'show the account\'s routing map'
complete -c hlrcli -n '__hlrcli_at routes' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at routes' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at routes' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at routes' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at routes' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at routes' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at routes' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at routes' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli status
complete -c hlrcli -n '__hlrcli_at status' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at status' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at status' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at status' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at status' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at status' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at status' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at status' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at status' -s r -l reference -x -d 'look up by your reference instead (repeatable)'
complete -c hlrcli -n '__hlrcli_at status' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at status' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at status' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli validate
complete -c hlrcli -n '__hlrcli_at validate' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at validate' -s c -l country -x -d 'country (ISO code, e.g. DE) for numbers written in national format'
complete -c hlrcli -n '__hlrcli_at validate' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at validate' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at validate' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at validate' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at validate' -s p -l provider -x -a 'hlrlookups smspartner affiliate offline' -d 'hlrlookups, smspartner, affiliate or offline [default: HLRCLI_PROVIDER, else the first configured that can do it]'
complete -c hlrcli -n '__hlrcli_at validate' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at validate' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at validate' -l retries -x -d 'attempts for 5xx and refused connections [default: 5]'
complete -c hlrcli -n '__hlrcli_at validate' -l timeout -x -d 'connect/read timeout in seconds [default: 30]'
complete -c hlrcli -n '__hlrcli_at validate' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli webhook
complete -c hlrcli -n '__hlrcli_at webhook' -a serve -d 'Run the webhook receiver until Ctrl-C or SIGTERM: results are stored in the job store.'
complete -c hlrcli -n '__hlrcli_at webhook' -a url -d 'The URL to configure at each provider; smspartner\'s and affiliate\'s carry the webhook token.'
complete -c hlrcli -n '__hlrcli_at webhook' -s h -l help -d 'Show this message and exit.'

# hlrcli webhook serve
complete -c hlrcli -n '__hlrcli_at webhook serve' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at webhook serve' -l host -x -d 'address to listen on (keep it private: see the README)'
complete -c hlrcli -n '__hlrcli_at webhook serve' -l max-body -x -d 'largest request body accepted, in bytes (413 above)'
complete -c hlrcli -n '__hlrcli_at webhook serve' -l max-connections -x -d 'requests read at once (503 beyond, the sender retries)'
complete -c hlrcli -n '__hlrcli_at webhook serve' -l path -x -d 'URL prefix of the endpoints'
complete -c hlrcli -n '__hlrcli_at webhook serve' -l port -x -d 'TCP port (0: any free port)'
complete -c hlrcli -n '__hlrcli_at webhook serve' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at webhook serve' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'

# hlrcli webhook url
complete -c hlrcli -n '__hlrcli_at webhook url' -l base -x -d 'public origin of the receiver, e.g. https://hooks.example.com (the reverse proxy)'
complete -c hlrcli -n '__hlrcli_at webhook url' -l columns -x -d 'only these fields, in this order (comma-separated), in any format'
complete -c hlrcli -n '__hlrcli_at webhook url' -s f -l format -x -a 'table csv json ndjson xlsx' -d 'table, csv, json, ndjson or xlsx [default: the -o file\'s extension, else table on a terminal, else csv; HLRCLI_FORMAT]'
complete -c hlrcli -n '__hlrcli_at webhook url' -s h -l help -d 'Show this message and exit.'
complete -c hlrcli -n '__hlrcli_at webhook url' -l no-header -d 'CSV without its header line'
complete -c hlrcli -n '__hlrcli_at webhook url' -s o -l output -r -F -d 'write to FILE (atomically) instead of stdout'
complete -c hlrcli -n '__hlrcli_at webhook url' -l path -x -d 'URL prefix of the endpoints'
complete -c hlrcli -n '__hlrcli_at webhook url' -s q -l quiet -d 'no notices or progress on stderr, only errors'
complete -c hlrcli -n '__hlrcli_at webhook url' -l raw -d 'CSV: do not defuse cells a spreadsheet would run as formulas'
complete -c hlrcli -n '__hlrcli_at webhook url' -l show-token -d 'print the token in the URLs (hidden by default: it is a secret)'
complete -c hlrcli -n '__hlrcli_at webhook url' -s v -l verbose -d 'trace HTTP requests on stderr (secrets redacted)'
