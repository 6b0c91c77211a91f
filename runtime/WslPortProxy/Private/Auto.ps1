# auto_ports: forward what the container engine publishes, but only inside the inventory's allow-list.

function Get-AutoPortsProblem {
    <#
    .SYNOPSIS
        What is wrong with the settings' AutoPorts table (keys, types, engine, allow-list, address).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)] [hashtable] $Table,
        [Parameter(Mandatory)] [bool] $PodmanMachine
    )
    $types = [ordered]@{
        From = 'Text'; ListenAddress = 'Text'; AllowFrom = 'TextList'; Limit = 'Int'; Allow = 'TableList'
    }
    $problems = @(Get-TableProblem -Table $Table -Expected $types -Where 'settings: AutoPorts')
    if ($problems.Count -gt 0) {
        return $problems
    }
    $engine = 'docker'   # a podman machine is asked through podman.exe, any other distribution through Docker
    if ($PodmanMachine) {
        $engine = 'podman'
    }
    if ($Table.From -ne $engine) {
        "settings: AutoPorts.From must be '$engine' (PodmanMachine is $PodmanMachine), not '$($Table.From)'"
    }
    $address = Test-ListenAddress -Address $Table.ListenAddress
    if (-not $address -or $Table.Limit -lt 0 -or @($Table.Allow).Count -eq 0) {
        'settings: AutoPorts needs an IPv4 or IPv6 ListenAddress, a Limit of at least 0 and a non-empty Allow'
    }
    $index = 0
    foreach ($entry in $Table.Allow) {
        $where = "settings: AutoPorts.Allow[$index]"
        $expected = [ordered]@{ First = 'Int'; Last = 'Int' }
        $entryProblems = @(Get-TableProblem -Table $entry -Expected $expected -Where $where)
        if ($entryProblems.Count -gt 0) {
            $entryProblems
        }
        elseif ($entry.First -lt 1 -or $entry.Last -lt $entry.First -or $entry.Last -gt 65535) {
            "$where`: $($entry.First)-$($entry.Last) is not a range of ports 1-65535"
        }
        $index++
    }
}

function ConvertTo-AutoPortsSetting {
    <#
    .SYNOPSIS
        The validated AutoPorts table as an object (From, ListenAddress, AllowFrom, Limit, Allow).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [hashtable] $Table)
    return [pscustomobject]@{
        PSTypeName    = 'WslPortProxy.AutoPorts'
        From          = $Table.From
        ListenAddress = $Table.ListenAddress
        AllowFrom     = [string[]] @($Table.AllowFrom)
        Limit         = $Table.Limit
        Allow         = [object[]] @($Table.Allow | ForEach-Object -Process {
                [pscustomobject]@{ First = $_.First; Last = $_.Last }
            })
    }
}

function Test-AutoPortAllowed {
    <#
    .SYNOPSIS
        Whether a port lies in the auto_ports allow-list.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $AutoPorts,
        [Parameter(Mandatory)] [int] $Port
    )
    foreach ($range in $AutoPorts.Allow) {
        if ($Port -ge $range.First -and $Port -le $range.Last) {
            return $true
        }
    }
    return $false
}

function Get-StaticListenPort {
    <#
    .SYNOPSIS
        The ports the inventory's static entries listen on, as a set (port -> $true).
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param([Parameter(Mandatory)] [pscustomobject] $Settings)
    $static = @{}
    foreach ($rule in $Settings.Rules) {
        $static[$rule.ListenPort] = $true
    }
    return $static
}

function Get-AutoPortCandidate {
    <#
    .SYNOPSIS
        Port -> the containers publishing it ('a, b'), for every reachable published port in the
        allow-list that no static port forwards; $null when the engine cannot be read.
    .PARAMETER Published
        What Get-PublishedPortReading returned.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [pscustomobject] $Published,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    if ($null -eq $Published.Reading) {
        $reason = $Published.Failure
        if ($null -eq $reason) {
            $reason = "there is no container engine in $($Settings.Distro)"
        }
        Write-Log -Log $Log -Level WARN -Message "auto_ports: cannot read what containers publish ($reason)."
        return $null
    }
    $static = Get-StaticListenPort -Settings $Settings
    $candidates = @{}
    $groups = Group-PublishedPort -Published $Published.Reading.Ports
    foreach ($group in $groups.Values) {
        if ($group.Reachable -and -not $static.ContainsKey($group.Port) -and
            (Test-AutoPortAllowed -AutoPorts $Settings.AutoPorts -Port $group.Port)) {
            $candidates[$group.Port] = $group.Containers
        }
    }
    return $candidates
}

function New-AutomaticRule {
    <#
    .SYNOPSIS
        The portproxy rule auto_ports makes for a published port: listen on ListenAddress, connect to the same port.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '',
        Justification = 'Builds an object in memory; changes nothing on the system.')]
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $AutoPorts,
        [Parameter(Mandatory)] [int] $Port
    )
    return [pscustomobject]@{
        PSTypeName = 'WslPortProxy.Rule'; ListenAddress = $AutoPorts.ListenAddress; ListenPort = $Port
        ConnectPort = $Port; Key = '{0}/{1}' -f $AutoPorts.ListenAddress, $Port
    }
}

function Merge-AutomaticRule {
    <#
    .SYNOPSIS
        A copy of the settings whose Rules and FirewallRules also hold the given automatic rules.
    .DESCRIPTION
        Rule objects (New-AutomaticRule) or their keys ('0.0.0.0/8080', as state.json records
        them); each gets the firewall rule of the inventory's allow_from, as a static port would.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Rule
    )
    $effective = $Settings.PSObject.Copy()
    if ($null -eq $Settings.AutoPorts -or $Rule.Count -eq 0) {
        return $effective
    }
    $auto = @(foreach ($item in $Rule) {
            if ($item -is [string]) {
                New-AutomaticRule -AutoPorts $Settings.AutoPorts -Port ([int] $item.Split('/')[-1])
            }
            else {
                $item
            }
        })
    $entries = @(foreach ($item in $auto) {
            @{ ListenAddress = $item.ListenAddress; ListenPort = $item.ListenPort; LastListenPort = $item.ListenPort
                ConnectPort = $item.ConnectPort; AllowFrom = $Settings.AutoPorts.AllowFrom }
        })
    $effective.Rules = @($Settings.Rules) + $auto
    $effective.FirewallRules = @($Settings.FirewallRules) + @(ConvertTo-FirewallRuleSpec -Port $entries)
    return $effective
}

function Get-AutomaticRule {
    <#
    .SYNOPSIS
        What auto_ports forwards now: Rules and Skipped (Port, Containers, Reason, and Message: the
        warning in words, as the log, the event and -Status say it).
    .DESCRIPTION
        Every TCP port a container publishes (reachable through eth0) that lies in the allow-list
        and that no static port forwards gets a rule: listen address and firewall allow_from as
        the inventory says, connect port = the published port. A port not yet forwarded is
        skipped when it is not free: a portproxy rule this tool did not create is there, or
        another Windows process listens on it (never fought over); and beyond Limit rules. When
        the engine cannot be read, the rules recorded as automatic (Automatic) are kept: nothing
        is removed on a guess about the containers; but only those today's allow-list admits and
        no static port forwards (a port taken out of the allow-list goes all the same).
    .PARAMETER Published
        What Get-PublishedPortReading returned, when the caller has read the engine already;
        without it, the engine is read here (only when the settings have auto_ports).
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [string[]] $Automatic,
        [Parameter(Mandatory)] [hashtable] $Current,
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [AllowNull()] [pscustomobject] $Published
    )
    $plan = [pscustomobject]@{ Rules = @(); Skipped = @(); EngineRead = $true }
    $auto = $Settings.AutoPorts
    if ($null -eq $auto) {
        return $plan
    }
    $attempt = $Published
    if ($null -eq $attempt) {
        $attempt = Get-PublishedPortReading -Settings $Settings
    }
    $candidates = Get-AutoPortCandidate -Settings $Settings -Published $attempt -Log $Log
    if ($null -eq $candidates) {
        $plan.EngineRead = $false
        $candidates = @{}
        $static = Get-StaticListenPort -Settings $Settings
        foreach ($key in $Automatic) {
            $port = [int] $key.Split('/')[-1]
            if (-not $static.ContainsKey($port) -and (Test-AutoPortAllowed -AutoPorts $auto -Port $port)) {
                $candidates[$port] = ''
            }
        }
    }
    $listeners = $null
    $rules = New-Object -TypeName 'System.Collections.Generic.List[object]'
    $skipped = New-Object -TypeName 'System.Collections.Generic.List[object]'
    foreach ($port in @($candidates.Keys | Sort-Object)) {
        $rule = New-AutomaticRule -AutoPorts $auto -Port $port
        $reason = $null
        if ($Automatic -notcontains $rule.Key -and $Current.ContainsKey($rule.Key)) {
            $reason = "portproxy $($rule.Key) exists and was not created by auto_ports (it points at " +
                "$($Current[$rule.Key]))"
        }
        elseif ($Automatic -notcontains $rule.Key) {
            if ($null -eq $listeners) {
                $listeners = Get-ListenerTable
            }
            $verdict = Get-ListenerVerdict -Rule $rule -Table $listeners
            if ($verdict.Blocked) {
                $reason = $verdict.Problem
            }
        }
        if ($null -eq $reason -and $rules.Count -ge $auto.Limit) {
            $reason = "the server forwards as many ports as it may ($($auto.Limit) automatic)"
        }
        if ($null -ne $reason) {
            $skipped.Add([pscustomobject]@{ Port = $port; Containers = $candidates[$port]; Reason = $reason
                    Message = "auto_ports: not forwarding port $port ($($candidates[$port])): $reason."
                })
            continue
        }
        $rules.Add($rule)
    }
    $plan.Rules = $rules.ToArray()
    $plan.Skipped = $skipped.ToArray()
    return $plan
}

function Write-AutoPortSkip {
    <#
    .SYNOPSIS
        Logs each port auto_ports skipped (a WARN line, its Message) and one throttled warning event naming them all.
    .DESCRIPTION
        The lines go to the log only (-NoEvent): a container that publishes many ports, reconcile
        after reconcile, writes one event 2000 while the skipped ports stay the same (Write-LogEvent
        -Throttle: once a day, or again after a change or a failure), not one per port and run.
    #>
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Skipped,
        [Parameter(Mandatory)] [pscustomobject] $Log
    )
    $lines = @($Skipped | ForEach-Object -Process { $_.Message })
    foreach ($line in $lines) {
        Write-Log -Log $Log -Level WARN -Message $line -NoEvent
    }
    if ($lines.Count -gt 0) {
        Write-LogEvent -Log $Log -EventId $script:WslppEventIds.Warning -EntryType Warning `
            -Message ($lines -join ' ') -Throttle -Topic 'auto_ports'
    }
}
