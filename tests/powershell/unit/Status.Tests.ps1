# Unit tests: what -Status checks beyond the rules (the firewall verdict for the current network), and
# how it words its verdict and its drift (Private/Status.ps1): the verdict first, the drift apart,
# labelled as information, one line per kind, never a sentence per port.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Format-StatusVerdict' {
    It 'says OK, and how many ports, when every port is right' {
        InModuleScope WslPortProxy {
            Format-StatusVerdict -Ports 14 -Problems 0 |
                Should -BeExactly 'OK: all 14 port(s) are forwarded, allowed, listening and answered by WSL.'
        }
    }

    It 'says PROBLEM, and how many of how many, when a port is wrong' {
        InModuleScope WslPortProxy {
            Format-StatusVerdict -Ports 14 -Problems 2 |
                Should -BeExactly 'PROBLEM: 2 of 14 port(s) have a problem (see Problem); the log may say why.'
        }
    }

    It 'says OK and that there is nothing to forward when there is no port (auto_ports with nothing published)' {
        InModuleScope WslPortProxy {
            Format-StatusVerdict -Ports 0 -Problems 0 | Should -BeExactly ('OK: no port to forward now: the ' +
                'inventory names none here and no container publishes one that auto_ports allows.')
        }
    }

    It 'is the report''s Summary.Text behind its OK or PROBLEM' {
        InModuleScope WslPortProxy {
            $settings = [pscustomobject]@{ Server = 'WEB-01'; Distro = 'podman-machine-default' }
            $rows = @([pscustomobject]@{ Ok = $true }, [pscustomobject]@{ Ok = $false })
            $report = ConvertTo-StatusReport -Settings $settings -Address '172.28.241.140' -Row $rows
            $report.Summary.Text | Should -BeExactly '1 of 2 port(s) have a problem (see Problem); the log may say why.'
            Format-StatusVerdict -Ports 2 -Problems 1 | Should -BeExactly "PROBLEM: $($report.Summary.Text)"
            $rows[1].Ok = $true
            (ConvertTo-StatusReport -Settings $settings -Row $rows).Summary.Text |
                Should -BeExactly 'All 2 port(s) are forwarded, allowed, listening and answered by WSL.'
        }
    }
}

Describe 'Format-DriftText' {
    It 'writes nothing when nothing drifts' {
        InModuleScope WslPortProxy {
            @(Format-DriftText -Drift @()) | Should -HaveCount 0
        }
    }

    It 'lists the forwarded ports nothing publishes on one line, consecutive ports as a range' {
        InModuleScope WslPortProxy {
            $rules = @(foreach ($port in @(443, 80, 5432) + (9000..9010)) {
                    [pscustomobject]@{ ConnectPort = $port; Key = "0.0.0.0/$port" }
                })
            $drift = @(Get-PublishedDrift -Rule $rules -Published @())
            $drift | Should -HaveCount 14
            Format-DriftText -Drift $drift | Should -Be @(
                'Drift (information; does not change the verdict):'
                '  Forwarded, but no container publishes it: 80, 443, 5432, 9000-9010')
        }
    }

    It 'puts each kind on its own line, with the containers and what to do, published first' {
        InModuleScope WslPortProxy {
            $rules = @([pscustomobject]@{ ConnectPort = 80; Key = '0.0.0.0/80' }, [pscustomobject]@{ ConnectPort = 443; Key = '0.0.0.0/8443' })
            $published = @(
                (New-PublishedPort -Engine 'podman' -Container 'web' -Port 443 -ContainerPort 443)
                (New-PublishedPort -Engine 'podman' -Container 'api' -Port 9001 -ContainerPort 9001)
                (New-PublishedPort -Engine 'podman' -Container 'api' -Port 9000 -ContainerPort 9000)
                (New-PublishedPort -Engine 'podman' -Container 'api' -Port 9002 -ContainerPort 9002)
                (New-PublishedPort -Engine 'podman' -Container 'admin' -Port 9003 -ContainerPort 9003)
                (New-PublishedPort -Engine 'podman' -Container 'db' -Port 5432 -ContainerPort 5432 -HostIp '127.0.0.1'))
            Format-DriftText -Drift @(Get-PublishedDrift -Rule $rules -Published $published) | Should -Be @(
                'Drift (information; does not change the verdict):'
                "  Published, but not forwarded: 9000-9002 (api), 9003 (admin); add them to this server's ports in the inventory (Update-WslPortProxy.ps1 -Discover prints the entries)."
                '  Published on a loopback address only, so not forwarded (not reachable through eth0): 5432 (db on 127.0.0.1)'
                '  Forwarded, but no container publishes it: 80')
        }
    }

    It 'with auto_ports, names the published ports outside its allow-list, ranges left unexpanded as ranges' {
        InModuleScope WslPortProxy {
            $auto = [pscustomobject]@{ Allow = @([pscustomobject]@{ First = 80; Last = 80 }) }
            $wide = New-PublishedPort -Engine 'podman' -Container 'wide' -Port 1 -ContainerPort 1
            $local = New-PublishedPort -Engine 'podman' -Container 'db' -Port 5432 -ContainerPort 5432 -HostIp '127.0.0.1'
            $outside = @((New-PublishedRange -Sample $wide -First 81 -Last 65535), (New-PublishedRange -Sample $wide -First 9 -Last 9),
                (New-PublishedRange -Sample $local -First 5432 -Last 5432))
            $published = @(New-PublishedPort -Engine 'podman' -Container 'api' -Port 8080 -ContainerPort 8080)
            $drift = @(Get-PublishedDrift -Rule @() -Published $published -AutoPorts $auto -Outside $outside)
            Format-DriftText -Drift $drift -AutoPorts | Should -Be @(
                'Drift (information; does not change the verdict):'
                "  Published, but outside auto_ports.allow, so not forwarded: 9 (wide), 81-65535 (wide), 8080 (api); add them there or to this server's ports in the inventory."
                '  Published on a loopback address only, so not forwarded (not reachable through eth0): 5432 (db on 127.0.0.1)')
        }
    }
}

Describe 'Get-FirewallVerdict and Get-ActiveFirewallProfile' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'says <Verdict> when <Case>' -ForEach @(
        @{ Case = 'the rule is right and covers the network'; Category = 'DomainAuthenticated'; Rule = @{ Enabled = 'True' }; Verdict = 'ok' }
        @{ Case = 'the rule is missing'; Category = 'DomainAuthenticated'; Rule = $null; Verdict = 'missing (WslPortProxy-TCP-0.0.0.0-80)' }
        @{ Case = 'the rule is disabled'; Category = 'DomainAuthenticated'; Rule = @{ Enabled = 'False' }; Verdict = 'disabled' }
        @{ Case = 'the network is Public'; Category = 'Public'; Rule = @{ Enabled = 'True' }; Verdict = 'inactive: the network is Public, the rule is for Domain, Private' }
    ) {
        if ($null -ne $Rule) {
            $null = New-NetFirewallRule -Name 'WslPortProxy-TCP-0.0.0.0-80' -DisplayName 'x' -Group 'WSL Port Proxy' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 80 -Profile Domain, Private -Enabled $Rule.Enabled
        }
        Write-SimState 'network.json' @{ category = $Category; listening = @(); answering = @() }
        $spec = Get-TestFirewallSpec
        InModuleScope WslPortProxy -Parameters @{ Spec = $spec; Verdict = $Verdict } {
            param($Spec, $Verdict)
            $rule = [pscustomobject]@{ ListenAddress = '0.0.0.0'; ListenPort = 80 }
            Get-FirewallVerdict -Rule $rule -FirewallRule @($Spec) -Existing (Get-FirewallRuleSet) -ActiveProfile (Get-ActiveFirewallProfile) | Should -Be $Verdict
        }
    }

    It 'says inert when Group Policy ignores local rules on every profile the rule is active on' {
        $null = New-NetFirewallRule -Name 'WslPortProxy-TCP-0.0.0.0-80' -DisplayName 'x' -Group 'WSL Port Proxy' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 80 -Profile Domain, Private -Enabled True
        Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @(); local_rules_ignored = @('Domain') }
        $spec = Get-TestFirewallSpec
        InModuleScope WslPortProxy -Parameters @{ Spec = $spec } {
            param($Spec)
            $rule = [pscustomobject]@{ ListenAddress = '0.0.0.0'; ListenPort = 80 }
            Get-InertFirewallProfile | Should -Be @('Domain')
            Get-FirewallVerdict -Rule $rule -FirewallRule @($Spec) -Existing (Get-FirewallRuleSet) -ActiveProfile @('Domain') -InertProfile (Get-InertFirewallProfile) |
                Should -Be 'inert: Group Policy ignores local firewall rules on the Domain profile (Apply local firewall rules: No)'
            Get-FirewallVerdict -Rule $rule -FirewallRule @($Spec) -Existing (Get-FirewallRuleSet) -ActiveProfile @('Private') -InertProfile (Get-InertFirewallProfile) |
                Should -Be 'ok'
        }
    }

    It 'says so when no firewall rule covers the port' {
        InModuleScope WslPortProxy {
            $rule = [pscustomobject]@{ ListenAddress = '0.0.0.0'; ListenPort = 80 }
            Get-FirewallVerdict -Rule $rule -FirewallRule @() -Existing @{} -ActiveProfile @('Domain') | Should -Be 'no rule (allow_from is empty)'
        }
    }
}
