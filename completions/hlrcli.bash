# hlrcli completion for bash. GENERATED from the app by completions/generate.py: do not edit.
# Regenerate: python completions/generate.py    Check it is current: python completions/generate.py --check
# Static on purpose: completing never starts Python, so TAB answers at once.
# Install: copy to ~/.local/share/bash-completion/completions/hlrcli (loaded on demand by
# bash-completion), or add `source /path/to/completions/hlrcli.bash` to ~/.bashrc.

# For a command path ($1, '' for hlrcli itself) set: subs (its subcommands), opts (its options) and
# valopts (the options that take a value, whose value is not a positional argument).
__hlrcli_spec() {
    case "$1" in
        '')
            subs='balance batch config coverage doctor jobs lookup mnp networks nt price providers rental-status routes status validate webhook'
            opts='--help --install-completion --show-completion --version -V -h'
            valopts='' ;;
        'balance')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'batch')
            subs=''
            opts='--callback-url --column --concurrency --country --dry-run --format --help --job --max-cost --mode --notify-url --output --provider --quiet --rate --resubmit-uncertain --resume --retries --route --storage --tag --tariff --timeout --type --verbose --yes -c -f -h -j -o -p -q -t -v -y'
            valopts='--callback-url --column --concurrency --country --format --job --max-cost --mode --notify-url --output --provider --rate --retries --route --storage --tag --tariff --timeout --type -c -f -j -o -p -t' ;;
        'config')
            subs='path set show unset'
            opts='--help -h'
            valopts='' ;;
        'config path')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'config set')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'config show')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'config unset')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'coverage')
            subs=''
            opts='--format --help --mnp-countries --output --provider --quiet --retries --sample-size --timeout --type --verbose -f -h -o -p -q -t -v'
            valopts='--format --output --provider --retries --sample-size --timeout --type -f -o -p -t' ;;
        'doctor')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'jobs')
            subs='delete list poll prune results show'
            opts='--help -h'
            valopts='' ;;
        'jobs delete')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'jobs list')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'jobs poll')
            subs=''
            opts='--format --help --output --provider --quiet --rate --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --rate --retries --timeout -f -o -p' ;;
        'jobs prune')
            subs=''
            opts='--format --help --older-than --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --older-than --output --provider --retries --timeout -f -o -p' ;;
        'jobs results')
            subs=''
            opts='--format --help --interval --output --provider --quiet --retries --timeout --verbose --wait -f -h -o -p -q -v'
            valopts='--format --interval --output --provider --retries --timeout -f -o -p' ;;
        'jobs show')
            subs=''
            opts='--chunks --format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'lookup')
            subs=''
            opts='--callback-url --country --format --help --notify-url --output --provider --quiet --reference --retries --route --storage --tag --tariff --timeout --verbose -c -f -h -o -p -q -v'
            valopts='--callback-url --country --format --notify-url --output --provider --reference --retries --route --storage --tag --tariff --timeout -c -f -o -p' ;;
        'mnp')
            subs=''
            opts='--country --format --help --output --provider --quiet --retries --route --storage --timeout --verbose -c -f -h -o -p -q -v'
            valopts='--country --format --output --provider --retries --route --storage --timeout -c -f -o -p' ;;
        'networks')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'nt')
            subs=''
            opts='--country --format --help --output --provider --quiet --retries --route --storage --timeout --verbose -c -f -h -o -p -q -v'
            valopts='--country --format --output --provider --retries --route --storage --timeout -c -f -o -p' ;;
        'price')
            subs=''
            opts='--country --format --help --output --provider --quiet --retries --route --tariff --timeout --type --verbose -c -f -h -o -p -q -t -v'
            valopts='--country --format --output --provider --retries --route --tariff --timeout --type -c -f -o -p -t' ;;
        'providers')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'rental-status')
            subs=''
            opts='--format --help --output --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --output --provider --retries --timeout -f -o -p' ;;
        'routes')
            subs=''
            opts='--country --format --help --map --output --provider --quiet --retries --timeout --verbose -c -f -h -o -p -q -v'
            valopts='--country --format --output --provider --retries --timeout -c -f -o -p' ;;
        'status')
            subs=''
            opts='--format --help --output --provider --quiet --reference --retries --timeout --verbose -f -h -o -p -q -r -v'
            valopts='--format --output --provider --reference --retries --timeout -f -o -p -r' ;;
        'validate')
            subs=''
            opts='--country --format --help --output --provider --quiet --retries --timeout --verbose -c -f -h -o -p -q -v'
            valopts='--country --format --output --provider --retries --timeout -c -f -o -p' ;;
        'webhook')
            subs='serve url'
            opts='--help -h'
            valopts='' ;;
        'webhook serve')
            subs=''
            opts='--format --help --host --max-body --output --path --port --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--format --host --max-body --output --path --port --provider --retries --timeout -f -o -p' ;;
        'webhook url')
            subs=''
            opts='--base --format --help --output --path --provider --quiet --retries --timeout --verbose -f -h -o -p -q -v'
            valopts='--base --format --output --path --provider --retries --timeout -f -o -p' ;;
        *) subs='' opts='' valopts='' ;;
    esac
}

# Set vals to the candidates for the value of option $2 of command path $1 ("@files": file names).
__hlrcli_option_values() {
    case "$1 $2" in
        'balance --output'|'balance -o'|'batch --output'|'batch -o'|'config path --output'| \
            'config path -o'|'config set --output'|'config set -o'|'config show --output'| \
            'config show -o'|'config unset --output'|'config unset -o'|'coverage --output'|'coverage -o'| \
            'doctor --output'|'doctor -o'|'jobs delete --output'|'jobs delete -o'|'jobs list --output'| \
            'jobs list -o'|'jobs poll --output'|'jobs poll -o'|'jobs prune --output'|'jobs prune -o'| \
            'jobs results --output'|'jobs results -o'|'jobs show --output'|'jobs show -o'| \
            'lookup --output'|'lookup -o'|'mnp --output'|'mnp -o'|'networks --output'|'networks -o'| \
            'nt --output'|'nt -o'|'price --output'|'price -o'|'providers --output'|'providers -o'| \
            'rental-status --output'|'rental-status -o'|'routes --output'|'routes -o'|'status --output'| \
            'status -o'|'validate --output'|'validate -o'|'webhook serve --output'|'webhook serve -o'| \
            'webhook url --output'|'webhook url -o')
            vals='@files' ;;
        'price --type'|'price -t')
            vals='HLR MNP NT' ;;
        'coverage --sample-size')
            vals='LARGE MEDIUM SMALL' ;;
        'coverage --type'|'coverage -t')
            vals='hlr mnp' ;;
        'batch --type'|'batch -t')
            vals='hlr mnp nt' ;;
        'balance --provider'|'balance -p'|'batch --provider'|'batch -p'|'config path --provider'| \
            'config path -p'|'config set --provider'|'config set -p'|'config show --provider'| \
            'config show -p'|'config unset --provider'|'config unset -p'|'coverage --provider'| \
            'coverage -p'|'doctor --provider'|'doctor -p'|'jobs delete --provider'|'jobs delete -p'| \
            'jobs list --provider'|'jobs list -p'|'jobs poll --provider'|'jobs poll -p'| \
            'jobs prune --provider'|'jobs prune -p'|'jobs results --provider'|'jobs results -p'| \
            'jobs show --provider'|'jobs show -p'|'lookup --provider'|'lookup -p'|'mnp --provider'| \
            'mnp -p'|'networks --provider'|'networks -p'|'nt --provider'|'nt -p'|'price --provider'| \
            'price -p'|'providers --provider'|'providers -p'|'rental-status --provider'| \
            'rental-status -p'|'routes --provider'|'routes -p'|'status --provider'|'status -p'| \
            'validate --provider'|'validate -p'|'webhook serve --provider'|'webhook serve -p'| \
            'webhook url --provider'|'webhook url -p')
            vals='hlrlookups smspartner affiliate offline' ;;
        'batch --mode')
            vals='sync async' ;;
        'balance --format'|'balance -f'|'batch --format'|'batch -f'|'config path --format'| \
            'config path -f'|'config set --format'|'config set -f'|'config show --format'| \
            'config show -f'|'config unset --format'|'config unset -f'|'coverage --format'|'coverage -f'| \
            'doctor --format'|'doctor -f'|'jobs delete --format'|'jobs delete -f'|'jobs list --format'| \
            'jobs list -f'|'jobs poll --format'|'jobs poll -f'|'jobs prune --format'|'jobs prune -f'| \
            'jobs results --format'|'jobs results -f'|'jobs show --format'|'jobs show -f'| \
            'lookup --format'|'lookup -f'|'mnp --format'|'mnp -f'|'networks --format'|'networks -f'| \
            'nt --format'|'nt -f'|'price --format'|'price -f'|'providers --format'|'providers -f'| \
            'rental-status --format'|'rental-status -f'|'routes --format'|'routes -f'|'status --format'| \
            'status -f'|'validate --format'|'validate -f'|'webhook serve --format'|'webhook serve -f'| \
            'webhook url --format'|'webhook url -f')
            vals='table csv json ndjson' ;;
        *) vals='' ;;
    esac
}

# Set vals to the candidates for positional argument $2 (counted from 0) of command path $1.
__hlrcli_argument_values() {
    case "$1 $2" in
        'batch 0')
            vals='@files' ;;
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
    elif [[ -n $vals ]]; then
        while IFS= read -r w; do COMPREPLY+=("$prefix$w"); done < <(compgen -W "$vals" -- "$cur")
    fi
    return 0
}

complete -F _hlrcli hlrcli
