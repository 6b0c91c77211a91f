# Unit tests: who really listens on a forwarded port (Private/Listener.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Get-ListenerTable' {
    It 'names each listener''s process and services, marks IP Helper''s, and asks three queries for any number of listeners' {
        InModuleScope WslPortProxy {
            Mock Get-NetTCPConnection {
                [pscustomobject]@{ LocalAddress = '0.0.0.0'; LocalPort = 80; OwningProcess = 2872 }
                [pscustomobject]@{ LocalAddress = '0.0.0.0'; LocalPort = 443; OwningProcess = 4 }
                [pscustomobject]@{ LocalAddress = '192.168.0.12'; LocalPort = 80; OwningProcess = 7 }
            }
            Mock Get-CimInstance {
                [pscustomobject]@{ Name = 'iphlpsvc'; ProcessId = 2872 }
                [pscustomobject]@{ Name = 'Winmgmt'; ProcessId = 2872 }
                [pscustomobject]@{ Name = 'Stopped'; ProcessId = 0 }
            }
            Mock Get-Process { [pscustomobject]@{ Id = 2872; ProcessName = 'svchost' }; [pscustomobject]@{ Id = 4; ProcessName = 'System' } }

            $table = Get-ListenerTable

            @($table[80]) | Should -HaveCount 2
            $table[80][0].IpHelper | Should -BeTrue
            $table[80][0].Owner | Should -BeExactly 'svchost (PID 2872: services iphlpsvc, Winmgmt)'
            $table[80][1].Owner | Should -BeExactly 'unknown process (PID 7)'
            $table[443][0].IpHelper | Should -BeFalse
            $table[443][0].Owner | Should -BeExactly 'System (PID 4: HTTP.sys, e.g. IIS or WinRM)'
            Should -Invoke Get-CimInstance -Times 1 -Exactly -ParameterFilter { $ClassName -eq 'Win32_Service' -and $Filter -eq "State='Running'" }
            Should -Invoke Get-Process -Times 1 -Exactly -ParameterFilter { "$Id" -eq '4 7 2872' }
        }
    }

    It 'asks no process names when nothing listens' {
        InModuleScope WslPortProxy {
            Mock Get-NetTCPConnection { }
            Mock Get-CimInstance { }
            Mock Get-Process { }
            (Get-ListenerTable).Count | Should -Be 0
            Should -Invoke Get-Process -Times 0 -Exactly
        }
    }
}

Describe 'Get-ListenerVerdict' {
    It 'Given <Case>, the problem is "<Expected>" (none when empty)' -ForEach @(
        @{ Case = 'IP Helper on the rule''s address'; Address = '0.0.0.0'; Listeners = @(@{ Address = '0.0.0.0'; IpHelper = $true; Owner = 'svchost' }); Expected = '' }
        @{ Case = 'HTTP.sys on the rule''s own address and port'; Address = '0.0.0.0'; Listeners = @(@{ Address = '0.0.0.0'; IpHelper = $false; Owner = 'System (PID 4: HTTP.sys, e.g. IIS or WinRM)' }); Expected = '0.0.0.0:80 is held by System (PID 4: HTTP.sys, e.g. IIS or WinRM), so IP Helper cannot listen there' }
        @{ Case = 'nothing on the port'; Address = '0.0.0.0'; Listeners = @(); Expected = 'IP Helper does not listen on 0.0.0.0:80 (is the port in an excluded range? netsh int ipv4 show excludedportrange protocol=tcp)' }
        @{ Case = 'another process on the wildcard address, rule on one address'; Address = '192.168.0.12'; Listeners = @(@{ Address = '0.0.0.0'; IpHelper = $false; Owner = 'nginx (PID 7)' }); Expected = '192.168.0.12:80 is held by nginx (PID 7), so IP Helper cannot listen there' }
        @{ Case = 'another process on one address, rule on the wildcard (binds beside it, yet IP Helper does not listen)'; Address = '0.0.0.0'; Listeners = @(@{ Address = '192.168.0.12'; IpHelper = $false; Owner = 'nginx (PID 7)' }); Blocked = $false; Expected = 'IP Helper does not listen on 0.0.0.0:80 although its rule is written; 192.168.0.12:80 is held by nginx (PID 7), which IP Helper seems not to share the port with: stop it there, or forward another port' }
        @{ Case = 'WSL''s localhost relay on 127.0.0.1, rule on the wildcard, IP Helper listening beside it'; Address = '0.0.0.0'; Listeners = @(@{ Address = '127.0.0.1'; IpHelper = $false; Owner = 'wslrelay (PID 5120)' }, @{ Address = '0.0.0.0'; IpHelper = $true; Owner = 'svchost' }); Blocked = $false; Expected = '' }
        @{ Case = 'WSL''s localhost relay on 127.0.0.1, rule on the wildcard, IP Helper not listening'; Address = '0.0.0.0'; Listeners = @(@{ Address = '127.0.0.1'; IpHelper = $false; Owner = 'wslrelay (PID 5120)' }); Blocked = $false; Expected = 'IP Helper does not listen on 0.0.0.0:80 although its rule is written; 127.0.0.1:80 is held by wslrelay (PID 5120), WSL''s localhost relay: IP Helper seems to want the port for itself. Set localhostForwarding=false under [wsl2] in the .wslconfig of the account that runs WSL (portproxy then serves this server''s localhost too), then restart WSL (wsl --shutdown)' }
        @{ Case = 'WSL''s localhost relay on ::1, rule on the IPv4 wildcard (another family)'; Address = '0.0.0.0'; Listeners = @(@{ Address = '::1'; IpHelper = $false; Owner = 'wslrelay (PID 5120)' }); Blocked = $false; Expected = 'IP Helper does not listen on 0.0.0.0:80 (is the port in an excluded range? netsh int ipv4 show excludedportrange protocol=tcp)' }
        @{ Case = 'another process on another address, rule on one address'; Address = '192.168.0.12'; Listeners = @(@{ Address = '10.0.0.1'; IpHelper = $false; Owner = 'nginx (PID 7)' }); Expected = 'IP Helper does not listen on 192.168.0.12:80 (is the port in an excluded range? netsh int ipv4 show excludedportrange protocol=tcp)' }
        @{ Case = 'another process on the IPv4 wildcard, rule on the IPv6 wildcard (another family)'; Address = '::'; Listeners = @(@{ Address = '0.0.0.0'; IpHelper = $false; Owner = 'nginx (PID 7)' }); Expected = 'IP Helper does not listen on [::]:80 (is the port in an excluded range? netsh int ipv4 show excludedportrange protocol=tcp)' }
        @{ Case = 'another process on the IPv6 wildcard, rule on one IPv6 address'; Address = '2001:db8::12'; Listeners = @(@{ Address = '::'; IpHelper = $false; Owner = 'nginx (PID 7)' }); Expected = '[2001:db8::12]:80 is held by nginx (PID 7), so IP Helper cannot listen there' }
        @{ Case = 'IP Helper on the IPv6 wildcard'; Address = '::'; Listeners = @(@{ Address = '0.0.0.0'; IpHelper = $true; Owner = 'svchost' }, @{ Address = '::'; IpHelper = $true; Owner = 'svchost' }); Expected = '' }
        @{ Case = 'IP Helper on another address only'; Address = '192.168.0.12'; Listeners = @(@{ Address = '10.0.0.1'; IpHelper = $true; Owner = 'svchost' }); Expected = 'IP Helper does not listen on 192.168.0.12:80 (is the port in an excluded range? netsh int ipv4 show excludedportrange protocol=tcp)' }
    ) {
        InModuleScope WslPortProxy -Parameters @{ Address = $Address; Listeners = $Listeners; Expected = $Expected } {
            param($Address, $Listeners, $Expected)
            $table = @{ 80 = @($Listeners | ForEach-Object { [pscustomobject]$_ }) }
            $verdict = Get-ListenerVerdict -Rule ([pscustomobject]@{ ListenAddress = $Address; ListenPort = 80 }) -Table $table
            $verdict.Problem | Should -BeExactly $Expected
            $verdict.Listening | Should -Be ($Expected -eq '')
            $verdict.Blocked | Should -Be ($Expected -like '* is held by *, so IP Helper cannot listen there')
        }
    }
}

Describe 'Test-PortProxyListener' {
    It 'Given a port that binds a moment after netsh returned, looks once more after the pause and reports nothing' {
        InModuleScope WslPortProxy {
            $script:tableCalls = 0
            Mock Get-ListenerTable {
                $script:tableCalls++
                if ($script:tableCalls -eq 1) { return @{} }
                @{ 80 = @([pscustomobject]@{ Address = '0.0.0.0'; IpHelper = $true; Owner = 'svchost' }) }
            }
            Mock Start-Sleep { }
            $rule = [pscustomobject]@{ ListenAddress = '0.0.0.0'; ListenPort = 80 }
            @(Test-PortProxyListener -Rule @($rule) -Log (Open-RunLog -Directory $TestDrive -NoFile) -SettleMilliseconds 1000) | Should -HaveCount 0
            Should -Invoke Get-ListenerTable -Times 2 -Exactly
            Should -Invoke Start-Sleep -Times 1 -Exactly -ParameterFilter { $Milliseconds -eq 1000 }
        }
    }

    It 'Without a pause, looks once; each problem is a warning line and one event names them all' {
        InModuleScope WslPortProxy {
            Mock Get-ListenerTable { @{} }
            Mock Write-LogEvent { }
            $log = Open-RunLog -Directory $TestDrive
            $rules = @([pscustomobject]@{ ListenAddress = '0.0.0.0'; ListenPort = 80 }, [pscustomobject]@{ ListenAddress = '0.0.0.0'; ListenPort = 81 })
            $problems = @(Test-PortProxyListener -Rule $rules -Log $log)
            $problems | Should -HaveCount 2
            Should -Invoke Get-ListenerTable -Times 1 -Exactly
            Should -Invoke Write-LogEvent -Times 1 -Exactly -ParameterFilter { $EntryType -eq 'Warning' -and $EventId -eq 2000 -and $Message -like '2 of 2 forwarded port(s) not listening: IP Helper does not listen on 0.0.0.0:80 *' }
            @(Get-Content -LiteralPath (Join-Path $TestDrive 'Update-WslPortProxy.log') | Where-Object { $_ -like '*`[WARN`]*' }) | Should -HaveCount 2
        }
    }

    It 'Given 400 ports not listening, the one event naming them is shortened to fit the event log, and later events are written' {
        New-SimulatedWindows | Out-Null
        try {
            New-EventLog -LogName Application -Source WslPortProxy
            InModuleScope WslPortProxy {
                Mock Get-ListenerTable { @{} }
                $log = Open-RunLog -Directory $TestDrive
                $rules = @(1..400 | ForEach-Object { [pscustomobject]@{ ListenAddress = '0.0.0.0'; ListenPort = 10000 + $_ } })
                @(Test-PortProxyListener -Rule $rules -Log $log -WarningAction SilentlyContinue) | Should -HaveCount 400
                Write-LogEvent -Log $log -EventId 1000 -EntryType Information -Message 'Applied: 1 rule(s) written, 0 removed.'
            }
            $events = @(Get-SimEvent)
            $events | Should -HaveCount 2
            $events[0] | Should -BeLike '2000 Warning 400 of 400 forwarded port(s) not listening: *... (shortened from * characters; the whole message is in *)'
            $events[0].Length | Should -BeLessOrEqual ('2000 Warning '.Length + 30000)
            $events[1] | Should -Be '1000 Information Applied: 1 rule(s) written, 0 removed.'
        }
        finally {
            Remove-SimulatedWindows
        }
    }
}
