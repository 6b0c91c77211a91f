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
    try {
        $wanted = @()
        $wantedFirewall = @()
        if (-not $Remove) {
            $wsl = Find-WslProgram
            if ($Settings.PodmanMachine) {
                Start-PodmanMachine -Distro $Settings.Distro -Log $Log
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
        Remove-StalePortProxyRule -Wanted $wanted -Current $current -Managed $state.PortProxy -Directory $directory `
            -Log $Log | ForEach-Object -Process { $changes.Add($_) }
        Remove-StaleFirewallRule -Wanted $wantedFirewall -Managed $state.Firewall -Log $Log |
            ForEach-Object -Process { $changes.Add($_) }
    }
    finally {
        $next = Merge-StateChange -State $state -Change $changes.ToArray()
        Save-State -Path $statePath -Server $Settings.Server -State $next -Previous $state
    }
    $removed = @($changes | Where-Object -FilterScript { $_.Written -and $_.Action -in @('Deleted', 'Removed') }).Count
    $written = @($changes | Where-Object -FilterScript { $_.Written }).Count - $removed
    $planned = @($changes | Where-Object -FilterScript { $_.Planned })
    if ($planned.Count -gt 0) {
        $wouldRemove = @($planned | Where-Object -FilterScript { $_.Action -in @('Deleted', 'Removed') }).Count
        $message = "What if: $($planned.Count - $wouldRemove) rule(s) would be written, $wouldRemove removed."
    }
    elseif ($written + $removed -eq 0) {
        $message = 'No change: every rule is already right.'
        Write-LogEvent -Log $Log -EventId $script:WslppEventIds.NoChange -EntryType Information -Message $message
    }
    else {
        $message = "Applied: $written rule(s) written, $removed removed."
        Write-LogEvent -Log $Log -EventId $script:WslppEventIds.Applied -EntryType Information -Message $message
    }
    return [pscustomobject]@{
        PSTypeName = 'WslPortProxy.RunResult'
        Server     = $Settings.Server
        Address    = $address
        Written    = $written
        Removed    = $removed
        Changes    = $changes.ToArray()
        Message    = $message
    }
}
