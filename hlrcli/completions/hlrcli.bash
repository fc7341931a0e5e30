# hlrcli completion for bash. GENERATED from the app by completions/generate.py: do not edit.
# Regenerate: python completions/generate.py    Check it is current: python completions/generate.py --check
# Static on purpose: completing never starts Python, so TAB answers at once.
# Install: `hlrcli completion bash > ~/.local/share/bash-completion/completions/hlrcli`
# (loaded on demand by bash-completion), or add `source <(hlrcli completion bash)` to ~/.bashrc.

# For a command path ($1, '' for hlrcli itself) set: subs (its subcommands), opts (its options) and
# valopts (the options that take a value, whose value is not a positional argument).
__hlrcli_spec() {
    case "$1" in
        '')
            subs='balance batch completion config coverage doctor jobs lookup mnp networks nt price providers rental-status report routes status validate webhook'
            opts='--help --quiet --verbose --version -V -h -q -v'
            valopts='' ;;
        'balance')
            subs=''
            opts='--columns --format --help --no-header --output --provider --quiet --raw --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--columns --format --output --provider --retries --timeout -f -o -p' ;;
        'batch')
            subs=''
            opts='--again --callback-url --column --columns --concurrency --country --dry-run --encoding --excel --format --give-up-after --help --job --max-age --max-cost --mode --no-header --notify-url --output --provider --quiet --rate --raw --resubmit-uncertain --resume --retries --route --storage --tag --tariff --timeout --type --verbose --yes -c -f -h -j -o -p -q -t -v -y'
            valopts='--callback-url --column --columns --concurrency --country --encoding --format --give-up-after --job --max-age --max-cost --mode --notify-url --output --provider --rate --retries --route --storage --tag --tariff --timeout --type -c -f -j -o -p -t' ;;
        'completion')
            subs=''
            opts='--help --quiet --verbose -h -q -v'
            valopts='' ;;
        'config')
            subs='path set show unset'
            opts='--help -h'
            valopts='' ;;
        'config path')
            subs=''
            opts='--help --quiet --verbose -h -q -v'
            valopts='' ;;
        'config set')
            subs=''
            opts='--help --quiet --verbose -h -q -v'
            valopts='' ;;
        'config show')
            subs=''
            opts='--columns --format --help --no-header --output --provider --quiet --raw --verbose -f -h -o -p -q -v'
            valopts='--columns --format --output --provider -f -o -p' ;;
        'config unset')
            subs=''
            opts='--help --quiet --verbose -h -q -v'
            valopts='' ;;
        'coverage')
            subs=''
            opts='--columns --format --help --mnp-countries --no-header --output --provider --quiet --raw --retries --sample-size --timeout --type --verbose -f -h -o -p -q -t -v'
            valopts='--columns --format --output --provider --retries --sample-size --timeout --type -f -o -p -t' ;;
        'doctor')
            subs=''
            opts='--columns --format --help --no-header --output --provider --quiet --raw --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--columns --format --output --provider --retries --timeout -f -o -p' ;;
        'jobs')
            subs='delete diff list poll prune results show'
            opts='--help -h'
            valopts='' ;;
        'jobs delete')
            subs=''
            opts='--force --help --quiet --verbose -h -q -v'
            valopts='' ;;
        'jobs diff')
            subs=''
            opts='--columns --format --help --no-header --output --quiet --raw --verbose -f -h -o -q -v'
            valopts='--columns --format --output -f -o' ;;
        'jobs list')
            subs=''
            opts='--columns --format --help --no-header --output --quiet --raw --verbose -f -h -o -q -v'
            valopts='--columns --format --output -f -o' ;;
        'jobs poll')
            subs=''
            opts='--help --quiet --rate --retries --timeout --verbose -h -q -v'
            valopts='--rate --retries --timeout' ;;
        'jobs prune')
            subs=''
            opts='--dry-run --force --help --older-than --quiet --verbose -h -q -v'
            valopts='--older-than' ;;
        'jobs results')
            subs=''
            opts='--columns --format --help --interval --no-header --output --partial --quiet --raw --retries --timeout --verbose --wait -f -h -o -q -v'
            valopts='--columns --format --interval --output --retries --timeout -f -o' ;;
        'jobs show')
            subs=''
            opts='--chunks --columns --format --help --no-header --output --quiet --raw --verbose -f -h -o -q -v'
            valopts='--columns --format --output -f -o' ;;
        'lookup')
            subs=''
            opts='--callback-url --columns --country --format --help --no-header --notify-url --output --provider --quiet --raw --reference --retries --route --storage --tag --tariff --timeout --verbose -c -f -h -o -p -q -v'
            valopts='--callback-url --columns --country --format --notify-url --output --provider --reference --retries --route --storage --tag --tariff --timeout -c -f -o -p' ;;
        'mnp')
            subs=''
            opts='--columns --country --format --help --no-header --output --provider --quiet --raw --retries --route --storage --timeout --verbose -c -f -h -o -p -q -v'
            valopts='--columns --country --format --output --provider --retries --route --storage --timeout -c -f -o -p' ;;
        'networks')
            subs=''
            opts='--columns --format --help --no-header --output --provider --quiet --raw --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--columns --format --output --provider --retries --timeout -f -o -p' ;;
        'nt')
            subs=''
            opts='--columns --country --format --help --no-header --output --provider --quiet --raw --retries --route --storage --timeout --verbose -c -f -h -o -p -q -v'
            valopts='--columns --country --format --output --provider --retries --route --storage --timeout -c -f -o -p' ;;
        'price')
            subs=''
            opts='--columns --country --format --help --no-header --output --provider --quiet --raw --retries --route --tariff --timeout --type --verbose -c -f -h -o -p -q -t -v'
            valopts='--columns --country --format --output --provider --retries --route --tariff --timeout --type -c -f -o -p -t' ;;
        'providers')
            subs=''
            opts='--columns --format --help --no-header --output --quiet --raw --verbose -f -h -o -q -v'
            valopts='--columns --format --output -f -o' ;;
        'rental-status')
            subs=''
            opts='--columns --format --help --no-header --output --provider --quiet --raw --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--columns --format --output --provider --retries --timeout -f -o -p' ;;
        'report')
            subs=''
            opts='--against --by --columns --format --help --html --no-header --output --quiet --raw --verbose -f -h -o -q -v'
            valopts='--against --by --columns --format --html --output -f -o' ;;
        'routes')
            subs=''
            opts='--columns --country --format --help --map --no-header --output --provider --quiet --raw --retries --timeout --verbose -c -f -h -o -p -q -v'
            valopts='--columns --country --format --output --provider --retries --timeout -c -f -o -p' ;;
        'status')
            subs=''
            opts='--columns --format --help --no-header --output --provider --quiet --raw --reference --retries --timeout --verbose -f -h -o -p -q -r -v'
            valopts='--columns --format --output --provider --reference --retries --timeout -f -o -p -r' ;;
        'validate')
            subs=''
            opts='--columns --country --format --help --no-header --output --provider --quiet --raw --retries --timeout --verbose -c -f -h -o -p -q -v'
            valopts='--columns --country --format --output --provider --retries --timeout -c -f -o -p' ;;
        'webhook')
            subs='serve url'
            opts='--help -h'
            valopts='' ;;
        'webhook serve')
            subs=''
            opts='--help --host --max-body --max-connections --path --port --quiet --verbose -h -q -v'
            valopts='--host --max-body --max-connections --path --port' ;;
        'webhook url')
            subs=''
            opts='--base --columns --format --help --no-header --output --path --quiet --raw --show-token --verbose -f -h -o -q -v'
            valopts='--base --columns --format --output --path -f -o' ;;
        *) subs='' opts='' valopts='' ;;
    esac
}

# Set vals to the candidates for the value of option $2 of command path $1 ("@files": file names).
__hlrcli_option_values() {
    case "$1 $2" in
        'balance --output'|'balance -o'|'batch --output'|'batch -o'|'config show --output'| \
            'config show -o'|'coverage --output'|'coverage -o'|'doctor --output'|'doctor -o'| \
            'jobs diff --output'|'jobs diff -o'|'jobs list --output'|'jobs list -o'| \
            'jobs results --output'|'jobs results -o'|'jobs show --output'|'jobs show -o'| \
            'lookup --output'|'lookup -o'|'mnp --output'|'mnp -o'|'networks --output'|'networks -o'| \
            'nt --output'|'nt -o'|'price --output'|'price -o'|'providers --output'|'providers -o'| \
            'rental-status --output'|'rental-status -o'|'report --html'|'report --output'|'report -o'| \
            'routes --output'|'routes -o'|'status --output'|'status -o'|'validate --output'|'validate -o'| \
            'webhook url --output'|'webhook url -o')
            vals='@files' ;;
        'report --against')
            vals='@jobs' ;;
        'price --type'|'price -t')
            vals='HLR MNP NT' ;;
        'coverage --sample-size')
            vals='LARGE MEDIUM SMALL' ;;
        'coverage --type'|'coverage -t')
            vals='hlr mnp' ;;
        'batch --type'|'batch -t')
            vals='hlr mnp nt' ;;
        'balance --provider'|'balance -p'|'batch --provider'|'batch -p'|'config show --provider'| \
            'config show -p'|'coverage --provider'|'coverage -p'|'doctor --provider'|'doctor -p'| \
            'lookup --provider'|'lookup -p'|'mnp --provider'|'mnp -p'|'networks --provider'|'networks -p'| \
            'nt --provider'|'nt -p'|'price --provider'|'price -p'|'rental-status --provider'| \
            'rental-status -p'|'routes --provider'|'routes -p'|'status --provider'|'status -p'| \
            'validate --provider'|'validate -p')
            vals='hlrlookups smspartner affiliate offline' ;;
        'batch --mode')
            vals='sync async' ;;
        'balance --format'|'balance -f'|'batch --format'|'batch -f'|'config show --format'| \
            'config show -f'|'coverage --format'|'coverage -f'|'doctor --format'|'doctor -f'| \
            'jobs diff --format'|'jobs diff -f'|'jobs list --format'|'jobs list -f'| \
            'jobs results --format'|'jobs results -f'|'jobs show --format'|'jobs show -f'| \
            'lookup --format'|'lookup -f'|'mnp --format'|'mnp -f'|'networks --format'|'networks -f'| \
            'nt --format'|'nt -f'|'price --format'|'price -f'|'providers --format'|'providers -f'| \
            'rental-status --format'|'rental-status -f'|'report --format'|'report -f'|'routes --format'| \
            'routes -f'|'status --format'|'status -f'|'validate --format'|'validate -f'| \
            'webhook url --format'|'webhook url -f')
            vals='table csv json ndjson xlsx' ;;
        *) vals='' ;;
    esac
}

# Set vals to the candidates for positional argument $2 (counted from 0) of command path $1.
__hlrcli_argument_values() {
    case "$1 $2" in
        'batch 0')
            vals='@files' ;;
        'jobs delete 0'|'jobs diff 0'|'jobs diff 1'|'jobs poll 0'|'jobs results 0'|'jobs show 0'| \
            'report 0')
            vals='@jobs' ;;
        'completion 0')
            vals='bash zsh fish' ;;
        *) vals='' ;;
    esac
}

_hlrcli() {
    local cur=${COMP_WORDS[COMP_CWORD]} path='' subs opts valopts vals='' prefix='' lastopt='' w i
    local skip=0 npos=0 dashdash=0
    COMPREPLY=()
    __hlrcli_spec ''
    # Walk the words before the cursor: a subcommand extends the path, an option's value is skipped, anything
    # else is a positional argument. "--format=json" arrives as three words when "=" is in COMP_WORDBREAKS.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if ((skip)); then
            [[ $w == = ]] || skip=0
            continue
        fi
        if ((dashdash)); then
            npos=$((npos + 1))
            continue
        fi
        case $w in
            --) dashdash=1 ;;
            = | --*=*) ;;
            -?*)
                if [[ " $valopts " == *" $w "* ]]; then
                    skip=1
                    lastopt=$w
                fi
                ;;
            *)
                if ((npos == 0)) && [[ " $subs " == *" $w "* ]]; then
                    path=${path:+$path }$w
                    __hlrcli_spec "$path"
                else
                    npos=$((npos + 1))
                fi
                ;;
        esac
    done

    if ((skip)); then
        # The cursor is on an option's value ("-f <TAB>", or "--format=<TAB>" where the word is "=").
        [[ $cur == = ]] && cur=''
        __hlrcli_option_values "$path" "$lastopt"
    elif ((!dashdash)) && [[ $cur == --*=* ]]; then
        # "=" is not a word break here: the whole "--format=js" is the word, so answers keep the prefix.
        prefix=${cur%%=*}=
        __hlrcli_option_values "$path" "${cur%%=*}"
        cur=${cur#*=}
    elif ((!dashdash)) && [[ $cur == -* ]]; then
        vals=$opts
    elif ((npos == 0)) && [[ -n $subs ]]; then
        vals=$subs
    else
        __hlrcli_argument_values "$path" "$npos"
    fi

    # Read the candidates line by line so file names with spaces stay whole (no word splitting or globbing).
    if [[ $vals == @files ]]; then
        compopt -o filenames 2>/dev/null # bash >= 4: a slash after directories, special characters quoted
        while IFS= read -r w; do COMPREPLY+=("$prefix$w"); done < <(compgen -f -- "$cur")
    elif [[ $vals == @jobs ]]; then
        # Job names are in the user's store: the one completion that asks hlrcli itself (quietly).
        while IFS= read -r w; do COMPREPLY+=("$w"); done < <(command hlrcli jobs names -- "$cur" 2>/dev/null)
    elif [[ -n $vals ]]; then
        while IFS= read -r w; do COMPREPLY+=("$prefix$w"); done < <(compgen -W "$vals" -- "$cur")
    fi
    return 0
}

complete -F _hlrcli hlrcli
