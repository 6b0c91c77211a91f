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
        state.json ends up recording exactly the rules that are this tool's.
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
    try {
        $wanted = @()
        $wantedFirewall = @()
        if (-not $Remove) {
            $wsl = Find-WslProgram
            if ($Settings.PodmanMachine) {
                Start-PodmanMachine -Distro $Settings.Distro -Directory $directory -Log $Log `
                    -WaitSeconds ([Math]::Max(10, $Settings.WaitForWslSeconds))
            }
            $address = Get-WslAddress -WslPath $wsl -Distro $Settings.Distro `
                -TimeoutSeconds $Settings.WaitForWslSeconds -Log $Log
            Assert-ForeignAddress -Address $address
            Start-IpHelperService -Log $Log
        }
        # One read serves both steps: adds and sets touch only wanted rules, deletions only stale ones.
        $current = Get-PortProxyRule
        if (-not $Remove) {
            Sync-PortProxyRule -Rule $Settings.Rules -Address $address -Current $current -Managed $state.PortProxy `
                -Directory $directory -Log $Log | ForEach-Object -Process { $changes.Add($_) }
            $firewall = @{}
            if ($Settings.FirewallRules.Count -gt 0) {
                $firewall = Get-FirewallRuleSet
            }
            Sync-FirewallRule -Rule $Settings.FirewallRules -FirewallProfile $Settings.FirewallProfiles `
                -Existing $firewall -Log $Log | ForEach-Object -Process { $changes.Add($_) }
            $wanted = @($Settings.Rules | ForEach-Object -Process { $_.Key })
            $wantedFirewall = @($Settings.FirewallRules | ForEach-Object -Process { $_.Name })
        }
        Remove-StalePortProxyRule -Wanted $wanted -Current $current -Managed $state.PortProxy `
            -TakenOver $state.TakenOver -Directory $directory -Log $Log | ForEach-Object -Process { $changes.Add($_) }
        Remove-StaleFirewallRule -Wanted $wantedFirewall -Managed $state.Firewall -Log $Log |
            ForEach-Object -Process { $changes.Add($_) }
        if (-not $Remove -and -not $WhatIfPreference) {
            $wrote = @($changes | Where-Object -FilterScript { $_.Kind -eq 'PortProxy' -and $_.Written }).Count
            $settle = 0
            if ($wrote -gt 0) {
                $settle = 1000
            }
            $notListening = @(Test-PortProxyListener -Rule $Settings.Rules -Log $Log -SettleMilliseconds $settle)
        }
    }
    finally {
        $next = Merge-StateChange -State $state -Change $changes.ToArray()
        Save-State -Path $statePath -Server $Settings.Server -State $next -Previous $state
    }
    $removed = @($changes | Where-Object -FilterScript { $_.Written -and $_.Action -in @('Deleted', 'Removed') }).Count
    $restored = @($changes | Where-Object -FilterScript { $_.Written -and $_.Action -eq 'Restored' }).Count
    $written = @($changes | Where-Object -FilterScript { $_.Written }).Count - $removed - $restored
    $planned = @($changes | Where-Object -FilterScript { $_.Planned })
    $listening = ''
    if ($notListening.Count -gt 0) {
        $listening = "; $($notListening.Count) of $($Settings.Rules.Count) forwarded port(s) not listening: " +
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
        Message      = $message
    }
}
