# One reconcile: resolve WSL, bring the rules in line, record what is ours.

function Invoke-Reconcile {
    <#
    .SYNOPSIS
        One reconcile run; returns a WslPortProxy.RunResult.
    .DESCRIPTION
        Resolves the WSL address (starting the podman machine first if the settings say so),
        makes sure IP Helper runs, adds and rewrites portproxy rules in place, creates or
        corrects the firewall rules, and only then deletes the rules it created earlier that
        are no longer wanted. With Remove it only deletes (and needs no WSL). Whatever happens,
        state.json ends up recording exactly the rules that are this tool's. With auto_ports, the
        ports containers publish inside the allow-list are forwarded too (Get-AutomaticRule), and
        recorded as automatic; one no longer published is deleted like any rule no longer wanted.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [pscustomobject] $Settings,
        [Parameter(Mandatory)] [pscustomobject] $Log,
        [switch] $Remove
    )
    $directory = $Settings.InstallDirectory
    $statePath = Join-Path -Path $directory -ChildPath 'state.json'
    $state = Read-State -Path $statePath -Server $Settings.Server -Log $Log
    $changes = New-Object -TypeName 'System.Collections.Generic.List[object]'
    $address = $null
    $notListening = @()
    $plan = $null
    $rules = @($Settings.Rules)
    $timeouts = $Settings.CommandTimeouts
    try {
        $wanted = @()
        $wantedFirewall = @()
        if (-not $Remove) {
            $wsl = Find-WslProgram
            if ($Settings.PodmanMachine) {
                Start-PodmanMachine -Distro $Settings.Distro -Directory $directory -Log $Log `
                    -WaitSeconds ([Math]::Max(10, $Settings.WaitForWslSeconds)) -CommandTimeout $timeouts.Podman
            }
            $address = Get-WslAddress -WslPath $wsl -Distro $Settings.Distro `
                -TimeoutSeconds $Settings.WaitForWslSeconds -Log $Log -CommandTimeout $timeouts.Wsl
            Assert-ForeignAddress -Address $address
            Start-IpHelperService -Log $Log
        }
        # One read serves both steps: adds and sets touch only wanted rules, deletions only stale ones.
        $current = Get-PortProxyRule
        if (-not $Remove) {
            $published = $null   # one engine read serves auto_ports and the record; none without auto_ports
            if ($null -ne $Settings.AutoPorts) {
                $published = Get-PublishedPortReading -Settings $Settings
            }
            $plan = Get-AutomaticRule -Settings $Settings -Automatic $state.Automatic -Current $current -Log $Log `
                -Published $published
            if (-not $WhatIfPreference) {   # for -Status and -Discover run by other accounts (observed.json)
                Save-Observation -Directory $directory -Address $address -Published $published
            }
            Write-AutoPortSkip -Skipped $plan.Skipped -Log $Log
            $effective = Merge-AutomaticRule -Settings $Settings -Rule $plan.Rules
            $rules = @($effective.Rules)
            $firewallSpecs = @($effective.FirewallRules)
            Sync-PortProxyRule -Rule $rules -Address $address -Current $current -Managed $state.PortProxy `
                -Directory $directory -Log $Log -CommandTimeout $timeouts.Netsh |
                ForEach-Object -Process { $changes.Add($_) }
            $firewall = @{}
            if ($firewallSpecs.Count -gt 0) {
                $firewall = Get-FirewallRuleSet
            }
            Sync-FirewallRule -Rule $firewallSpecs -FirewallProfile $Settings.FirewallProfiles `
                -Existing $firewall -Log $Log | ForEach-Object -Process { $changes.Add($_) }
            $wanted = @($rules | ForEach-Object -Process { $_.Key })
            $wantedFirewall = @($firewallSpecs | ForEach-Object -Process { $_.Name })
        }
        Remove-StalePortProxyRule -Wanted $wanted -Current $current -Managed $state.PortProxy `
            -TakenOver $state.TakenOver -Directory $directory -Log $Log -CommandTimeout $timeouts.Netsh |
            ForEach-Object -Process { $changes.Add($_) }
        Remove-StaleFirewallRule -Wanted $wantedFirewall -Managed $state.Firewall -Log $Log |
            ForEach-Object -Process { $changes.Add($_) }
        if (-not $Remove -and -not $WhatIfPreference) {
            $wrote = @($changes | Where-Object -FilterScript { $_.Kind -eq 'PortProxy' -and $_.Written }).Count
            $settle = 0
            if ($wrote -gt 0) {
                $settle = 1000
            }
            $notListening = @(Test-PortProxyListener -Rule $rules -Log $Log -SettleMilliseconds $settle)
        }
    }
    finally {
        $automatic = $state.Automatic   # a run that failed before auto_ports was read keeps what it knew
        if ($null -ne $plan) {
            $automatic = @($plan.Rules | ForEach-Object -Process { $_.Key })
        }
        $next = Merge-StateChange -State $state -Change $changes.ToArray() -Automatic $automatic
        Save-State -Path $statePath -Server $Settings.Server -State $next -Previous $state
    }
    $removed = @($changes | Where-Object -FilterScript { $_.Written -and $_.Action -in @('Deleted', 'Removed') }).Count
    $restored = @($changes | Where-Object -FilterScript { $_.Written -and $_.Action -eq 'Restored' }).Count
    $written = @($changes | Where-Object -FilterScript { $_.Written }).Count - $removed - $restored
    $planned = @($changes | Where-Object -FilterScript { $_.Planned })
    $listening = ''
    if ($notListening.Count -gt 0) {
        $listening = "; $($notListening.Count) of $($rules.Count) forwarded port(s) not listening: " +
            ($notListening -join '; ')
    }
    if ($planned.Count -gt 0) {
        $undo = @('Deleted', 'Removed', 'Restored')
        $wouldRemove = @($planned | Where-Object -FilterScript { $_.Action -in $undo }).Count
        $message = "What if: $($planned.Count - $wouldRemove) rule(s) would be written, $wouldRemove removed."
    }
    elseif ($written + $removed -eq 0) {
        $message = "No change: every rule is already right$listening."
        # A watcher re-checks every few minutes: "no change" is an event when the outcome changed, or once a day.
        Write-LogEvent -Log $Log -EventId $script:WslppEventIds.NoChange -EntryType Information -Message $message `
            -Throttle
    }
    else {
        $message = "Applied: $written rule(s) written, $removed removed"
        if ($restored -gt 0) {
            $message += ", $restored restored"
        }
        $message += "$listening."
        Write-LogEvent -Log $Log -EventId $script:WslppEventIds.Applied -EntryType Information -Message $message
    }
    return [pscustomobject]@{
        PSTypeName   = 'WslPortProxy.RunResult'
        Server       = $Settings.Server
        Address      = $address
        Written      = $written
        Removed      = $removed
        Restored     = $restored
        Changes      = $changes.ToArray()
        NotListening = [string[]] $notListening
        Automatic    = [string[]] @($next.Automatic)
        Skipped      = [object[]] @(if ($null -ne $plan) { $plan.Skipped })
        Message      = $message
    }
}
