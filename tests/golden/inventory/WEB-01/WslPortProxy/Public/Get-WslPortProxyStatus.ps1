function Get-WslPortProxyStatus {
    <#
    .SYNOPSIS
        Checks every forwarded port end to end: rule, firewall, listener, WSL side.
    .DESCRIPTION
        Returns one WslPortProxy.PortStatus object per forwarded listen address and port, and
        nothing else (a summary is the caller's: count the objects whose Ok is $false). When an
        admin has paused the watcher (Update-WslPortProxy -Pause), an information message says
        until when. It
        changes nothing, but asking WSL for its address starts the distribution if it is stopped.

        Properties:
          Listener        '0.0.0.0:80': where Windows listens
          Target          '172.28.241.140:80': where it should forward (WSL's address now), or $null
          Rule            'ok', 'missing' or 'stale (points at a.b.c.d/p)'
          Firewall        'ok', 'no rule (allow_from is empty)', 'missing (<name>)', 'disabled',
                          'inactive: ...' when the server's network profile is not one the rule covers,
                          or 'inert: ...' when Group Policy ignores local rules on that profile
          Listening       whether IP Helper (portproxy) listens on the listener: the registry alone
                          proves nothing, as IP Helper silently fails to bind a port another
                          process holds or one in an excluded port range
          ListeningOwner  who listens there: 'svchost (PID n: services iphlpsvc, ...)' when it is
                          IP Helper, another process ('System (PID 4: HTTP.sys, ...)'), or ''
          WslAnswers      whether the WSL side accepts a TCP connection on the target port
          Ok              all of the above are right
          Problem         '' when Ok, else what is wrong, in words
    .PARAMETER Settings
        The settings: the path of a WslPortProxy.Settings.psd1 or a table with its keys.
    .EXAMPLE
        Get-WslPortProxyStatus -Settings "$env:ProgramData\WslPortProxy\WslPortProxy.Settings.psd1" | Format-Table

        Shows every forwarded port of this server.
    .EXAMPLE
        Get-WslPortProxyStatus -Settings .\WslPortProxy.Settings.psd1 | Where-Object -FilterScript { -not $_.Ok }

        Lists only the ports that have a problem.
    #>
    [CmdletBinding()]
    [OutputType('WslPortProxy.PortStatus')]
    param([Parameter(Mandatory, Position = 0)] [object] $Settings)
    $ErrorActionPreference = 'Stop'
    try {
        $config = Import-Settings -Settings $Settings
        $log = Open-RunLog -Directory (Join-Path -Path $config.InstallDirectory -ChildPath 'logs') -NoFile
        $pausedUntil = Get-WatcherPause -Directory $config.InstallDirectory
        if ($null -ne $pausedUntil) {
            $local = $pausedUntil.ToLocalTime().ToString('yyyy-MM-dd HH:mm')
            Write-Information -MessageData "The watcher is paused until $local (local time); -Resume ends the pause."

        }
        $address = $null
        try {
            $address = Get-WslAddress -WslPath (Find-WslProgram) -Distro $config.Distro -TimeoutSeconds 0 -Log $log
        }
        catch {
            Write-Warning -Message $_.Exception.Message
        }
        $current = Get-PortProxyRule
        $activeProfiles = Get-ActiveFirewallProfile
        $firewallRules = Get-FirewallRuleSet
        $inertProfiles = Get-InertFirewallProfile
        $listeners = Get-ListenerTable
        foreach ($rule in $config.Rules) {
            $listener = '{0}:{1}' -f $rule.ListenAddress, $rule.ListenPort
            $target = $null
            $problems = @()
            if ($null -ne $address) {
                $target = '{0}:{1}' -f $address, $rule.ConnectPort
            }
            else {
                $problems += 'WSL has no address'
            }
            $ruleText = 'missing'
            if ($current.ContainsKey($rule.Key)) {
                $ruleText = 'ok'
                if ($current[$rule.Key] -ne "$target".Replace(':', '/')) {
                    $ruleText = "stale (points at $($current[$rule.Key]))"
                }
            }
            if ($ruleText -ne 'ok') {
                $problems += "portproxy rule $ruleText"
            }
            $firewall = Get-FirewallVerdict -Rule $rule -FirewallRule $config.FirewallRules -Existing $firewallRules `
                -ActiveProfile $activeProfiles -InertProfile $inertProfiles
            if ($firewall -notin @('ok', 'no rule (allow_from is empty)')) {
                $problems += "firewall $firewall"
            }
            $listening = Get-ListenerVerdict -Rule $rule -Table $listeners
            if (-not $listening.Listening) {
                $problems += $listening.Problem
            }
            $answers = $false
            if ($null -ne $address) {
                $answers = [bool] (Test-NetConnection -ComputerName $address -Port $rule.ConnectPort `
                        -InformationLevel Quiet -WarningAction SilentlyContinue)
                if (-not $answers) {
                    $problems += "WSL does not answer on $target"
                }
            }
            [pscustomobject]@{
                PSTypeName     = 'WslPortProxy.PortStatus'
                Listener       = $listener
                Target         = $target
                Rule           = $ruleText
                Firewall       = $firewall
                Listening      = $listening.Listening
                ListeningOwner = $listening.Owner
                WslAnswers     = $answers
                Ok             = $problems.Count -eq 0
                Problem        = $problems -join '; '
            }
        }
    }
    catch {
        $PSCmdlet.ThrowTerminatingError($_)
    }
}
