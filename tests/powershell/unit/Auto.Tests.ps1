# Unit tests: auto_ports (Private/Auto.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')

    function global:New-AutoSettings {
        param([int] $Limit = 10)
        $table = New-TestSettings -Overrides @{
            InstallDirectory = 'D:\WslPortProxy'
            AutoPorts = @{ From = 'podman'; ListenAddress = '0.0.0.0'; AllowFrom = @('10.0.0.0/8'); Limit = $Limit
                Allow = @(@{ First = 80; Last = 80 }, @{ First = 8000; Last = 8999 }) }
        }
        InModuleScope WslPortProxy -Parameters @{ Table = $table } { param($Table) Import-Settings -Settings $Table }
    }
}

Describe 'Test-AutoPortAllowed' {
    It 'admits <Port>: <Allowed>' -ForEach @(
        @{ Port = 80; Allowed = $true }, @{ Port = 81; Allowed = $false }, @{ Port = 8000; Allowed = $true }
        @{ Port = 8999; Allowed = $true }, @{ Port = 9000; Allowed = $false }
    ) {
        $settings = New-AutoSettings
        InModuleScope WslPortProxy -Parameters @{ Auto = $settings.AutoPorts; Port = $Port; Allowed = $Allowed } {
            param($Auto, $Port, $Allowed)
            Test-AutoPortAllowed -AutoPorts $Auto -Port $Port | Should -Be $Allowed
        }
    }
}

Describe 'Get-AutomaticRule' {
    BeforeAll {
        $script:Settings = New-AutoSettings -Limit 2
    }

    It 'forwards allowed, reachable ports no static entry forwards, up to Limit; skips the rest with the reason' {
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Read-PublishedPort {
                [pscustomobject]@{ Engine = 'podman'; Ports = @(
                        (New-PublishedPort -Engine 'podman' -Container 'static' -Port 80 -ContainerPort 80)
                        (New-PublishedPort -Engine 'podman' -Container 'a' -Port 8001 -ContainerPort 1)
                        (New-PublishedPort -Engine 'podman' -Container 'b' -Port 8002 -ContainerPort 2)
                        (New-PublishedPort -Engine 'podman' -Container 'c' -Port 8003 -ContainerPort 3)
                        (New-PublishedPort -Engine 'podman' -Container 'd' -Port 8004 -ContainerPort 4 -HostIp '127.0.0.1')
                        (New-PublishedPort -Engine 'podman' -Container 'e' -Port 9999 -ContainerPort 9999)) }
            }
            Mock Get-ListenerTable { @{} }
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $plan = Get-AutomaticRule -Settings $Settings -Automatic @() -Current @{} -Log $log
            @($plan.Rules | ForEach-Object { "$($_.Key) -> $($_.ConnectPort)" }) | Should -Be @('0.0.0.0/8001 -> 8001', '0.0.0.0/8002 -> 8002')
            @($plan.Skipped | ForEach-Object { "$($_.Port) $($_.Containers): $($_.Reason)" }) | Should -Be @('8003 c: the server forwards as many ports as it may (2 automatic)')
            @($plan.Skipped | ForEach-Object { $_.Message }) | Should -Be @('auto_ports: not forwarding port 8003 (c): the server forwards as many ports as it may (2 automatic).')
            $plan.EngineRead | Should -BeTrue
            Should -Invoke Get-ListenerTable -Times 1 -Exactly   # one listener read for all new ports
        }
    }

    It 'never fights over a port: another process listens there, or a portproxy rule this tool did not create' {
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Read-PublishedPort {
                [pscustomobject]@{ Engine = 'podman'; Ports = @((New-PublishedPort -Engine 'podman' -Container 'a' -Port 8001 -ContainerPort 1), (New-PublishedPort -Engine 'podman' -Container 'b' -Port 8002 -ContainerPort 2)) }
            }
            Mock Get-ListenerTable { @{ 8001 = @([pscustomobject]@{ Address = '0.0.0.0'; IpHelper = $false; Owner = 'nginx (PID 7)' }) } }
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $plan = Get-AutomaticRule -Settings $Settings -Automatic @() -Current @{ '0.0.0.0/8002' = '10.1.1.1/8002' } -Log $log
            @($plan.Rules) | Should -HaveCount 0
            @($plan.Skipped | ForEach-Object { "$($_.Port): $($_.Reason)" }) | Should -Be @(
                '8001: 0.0.0.0:8001 is held by nginx (PID 7), so IP Helper cannot listen there'
                '8002: portproxy 0.0.0.0/8002 exists and was not created by auto_ports (it points at 10.1.1.1/8002)')
        }
    }

    It 'does not look at listeners for ports it already forwards' {
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Read-PublishedPort { [pscustomobject]@{ Engine = 'podman'; Ports = @(New-PublishedPort -Engine 'podman' -Container 'a' -Port 8001 -ContainerPort 1) } }
            Mock Get-ListenerTable { @{} }
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $plan = Get-AutomaticRule -Settings $Settings -Automatic @('0.0.0.0/8001') -Current @{ '0.0.0.0/8001' = '172.28.1.1/8001' } -Log $log
            @($plan.Rules).Key | Should -Be '0.0.0.0/8001'
            Should -Invoke Get-ListenerTable -Times 0 -Exactly
        }
    }

    It 'keeps the recorded automatic rules when the engine cannot be read' {
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Read-PublishedPort { throw (New-Failure -ExitCode 13 -ErrorId 'EngineFailed' -Message 'podman is down') }
            Mock Write-Log { }
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $plan = Get-AutomaticRule -Settings $Settings -Automatic @('0.0.0.0/8005') -Current @{} -Log $log
            $plan.EngineRead | Should -BeFalse
            @($plan.Rules).Key | Should -Be '0.0.0.0/8005'
            Should -Invoke Write-Log -Times 1 -Exactly -ParameterFilter { $Level -eq 'WARN' -and $Message -eq 'auto_ports: cannot read what containers publish (podman is down).' }
        }
    }

    It 'keeps, when the engine cannot be read, only the recorded rules today''s allow-list admits and no static port forwards' {
        InModuleScope WslPortProxy -Parameters @{ Settings = $script:Settings } {
            param($Settings)
            Mock Read-PublishedPort { throw (New-Failure -ExitCode 13 -ErrorId 'EngineFailed' -Message 'podman is down') }
            Mock Write-Log { }
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $recorded = @('0.0.0.0/7000', '0.0.0.0/8005', '0.0.0.0/80', '0.0.0.0/9001')   # 7000: no longer allowed; 80, 9001: static
            $plan = Get-AutomaticRule -Settings $Settings -Automatic $recorded -Current @{} -Log $log
            $plan.EngineRead | Should -BeFalse
            @($plan.Rules).Key | Should -Be @('0.0.0.0/8005')
            @($plan.Skipped) | Should -HaveCount 0
        }
    }

    It 'returns an empty plan without auto_ports, and asks no engine' {
        InModuleScope WslPortProxy {
            Mock Read-PublishedPort { throw 'not asked' }
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $plain = Import-Settings -Settings (New-TestSettings -Overrides @{ InstallDirectory = 'D:\WslPortProxy' })
            $plan = Get-AutomaticRule -Settings $plain -Automatic @() -Current @{} -Log $log
            @($plan.Rules) | Should -HaveCount 0
            Should -Invoke Read-PublishedPort -Times 0 -Exactly
        }
    }
}

Describe 'Merge-AutomaticRule' {
    It 'adds rules given as keys, each with a firewall rule from the inventory''s allow_from, and leaves the settings alone' {
        $settings = New-AutoSettings
        InModuleScope WslPortProxy -Parameters @{ Settings = $settings } {
            param($Settings)
            $before = @($Settings.Rules).Count
            $effective = Merge-AutomaticRule -Settings $Settings -Rule @('0.0.0.0/8080')
            @($effective.Rules).Count | Should -Be ($before + 1)
            @($Settings.Rules).Count | Should -Be $before
            $spec = @($effective.FirewallRules)[-1]
            $spec.Name | Should -Be 'WslPortProxy-TCP-0.0.0.0-8080'
            $spec.RemoteAddress | Should -Be @('10.0.0.0/8')
        }
    }
}

Describe 'Write-AutoPortSkip' {
    It 'logs a WARN line per port (log only) and one throttled event naming them all' {
        InModuleScope WslPortProxy {
            Mock Write-Log { }
            Mock Write-LogEvent { }
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $skipped = @([pscustomobject]@{ Port = 80; Containers = 'web'; Reason = 'x holds it'; Message = 'auto_ports: not forwarding port 80 (web): x holds it.' },
                [pscustomobject]@{ Port = 81; Containers = 'api'; Reason = 'y'; Message = 'auto_ports: not forwarding port 81 (api): y.' })
            Write-AutoPortSkip -Skipped $skipped -Log $log
            Should -Invoke Write-Log -Times 2 -Exactly -ParameterFilter { $Level -eq 'WARN' -and $NoEvent }
            Should -Invoke Write-LogEvent -Times 1 -Exactly -ParameterFilter { $Throttle -and $Message -eq 'auto_ports: not forwarding port 80 (web): x holds it. auto_ports: not forwarding port 81 (api): y.' }
            Write-AutoPortSkip -Skipped @() -Log $log
            Should -Invoke Write-LogEvent -Times 1 -Exactly
        }
    }
}

Describe 'Write-AutoPortSkip in a watcher' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    It 'writes one event 2000 for the same skipped ports over three reconciles, and a new one when they change' {
        New-EventLog -LogName Application -Source WslPortProxy
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory (Join-Path $TestDrive 'logs')
            $skipped = @([pscustomobject]@{ Port = 80; Message = 'auto_ports: not forwarding port 80 (web): x.' },
                [pscustomobject]@{ Port = 81; Message = 'auto_ports: not forwarding port 81 (api): y.' })
            foreach ($run in 1..3) {
                Write-AutoPortSkip -Skipped $skipped -Log $log -WarningAction SilentlyContinue
            }
            Write-AutoPortSkip -Skipped @($skipped[0]) -Log $log -WarningAction SilentlyContinue
        }
        Get-SimEvent | Should -Be @('2000 Warning auto_ports: not forwarding port 80 (web): x. auto_ports: not forwarding port 81 (api): y.',
            '2000 Warning auto_ports: not forwarding port 80 (web): x.')
        @(Get-Content -LiteralPath (Join-Path $TestDrive 'logs/Update-WslPortProxy.log') | Where-Object { $_ -like '*`[WARN`] auto_ports: not forwarding*' }) | Should -HaveCount 7
    }
}
