# Behaviour of the generated Update-WslPortProxy.ps1 on a simulated Windows (see ../sim/SimulatedWindows.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot '../sim/SimulatedWindows.ps1')
    . (Join-Path $PSScriptRoot '../TestHelpers.ps1')
    $script:Seed = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 2s
    ports: [80]
'@
    $script:TwoPorts = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 2s
    ports: [80, "8080:8000"]
'@
    $script:ThreePorts = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 2s
    ports: [80, 443, 8080]
'@

    function Invoke-Update {
        <# Runs a generated Update-WslPortProxy.ps1 unmodified, as the task does (pwsh -File, its own process); returns its exit code. #>
        param([string] $Dist = $script:Seed, [string[]] $Arguments = @())
        $script:LastRun = Invoke-SimEntryScript -Path (Join-Path $Dist 'WEB-01/Update-WslPortProxy.ps1') -Arguments $Arguments
        return $script:LastRun.ExitCode
    }

}

Describe 'Update-WslPortProxy.ps1' {
    BeforeEach { New-SimulatedWindows | Out-Null }
    AfterEach { Remove-SimulatedWindows }

    Context 'Given a clean server: no portproxy key yet, podman machine stopped, WSL at 172.28.241.140' {
        It 'starts the podman machine, forwards 0.0.0.0:80 to 172.28.241.140:80 and opens the firewall for port 80' {
            Invoke-Update | Should -Be 0

            (Get-SimPortProxy) | Should -Not -BeNullOrEmpty
            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
            @((Get-SimPortProxy).Keys) | Should -HaveCount 1
            $rule = (Get-SimFirewall)['WslPortProxy-TCP-0.0.0.0-80']
            $rule.Group | Should -Be 'WSL Port Proxy'
            $rule.Direction | Should -Be 'Inbound'
            $rule.Action | Should -Be 'Allow'
            $rule.Protocol | Should -Be 'TCP'
            $rule.LocalPort | Should -Be @('80')
            $rule.RemoteAddress | Should -Be @('LocalSubnet')
            $rule.Profile | Should -Be @('Domain', 'Private')
            (Read-SimState 'podman.json').machines['podman-machine-default'] | Should -Be 'running'
            Get-SimCall -Program 'netsh' | Should -Be @('netsh interface portproxy add v4tov4 listenaddress=0.0.0.0 listenport=80 connectaddress=172.28.241.140 connectport=80 protocol=tcp')
        }

        It 'asks WSL once, for eth0 and the networking mode, with WSL_UTF8=1' {
            Invoke-Update | Should -Be 0
            Get-SimCall -Program 'wsl' | Should -Be @('wsl --distribution podman-machine-default --exec sh -c ip -4 -o addr show dev eth0; wslinfo --networking-mode 2>/dev/null; true')
            Get-Content -LiteralPath (Join-Path $global:WslppSim.State 'wsl-utf8.log') | Should -Be '1'
        }

        It 'logs what it did to the install folder' {
            Invoke-Update | Should -Be 0
            Get-UpdateLog | Should -Match '\[INFO\] Added portproxy 0\.0\.0\.0/80 -> 172\.28\.241\.140/80\.'
            Get-UpdateLog | Should -Match '\[INFO\] Applied: 2 rule\(s\) written, 0 removed\.'
        }
    }

    Context 'Given podman' {
        It 'does not start a machine that inspect reports as running' {
            Write-SimState 'podman.json' @{ machines = @{ 'podman-machine-default' = 'running' } }
            Invoke-Update | Should -Be 0
            Get-SimCall -Program 'podman' | Should -Be @('podman machine inspect podman-machine-default')
        }

        It 'treats "already running or starting" (podman exit 125) as fine' {
            Write-SimState 'podman.json' @{ machines = @{ 'podman-machine-default' = 'starting' } }
            Invoke-Update | Should -Be 0
            Get-SimCall -Program 'podman' | Should -Be @('podman machine inspect podman-machine-default', 'podman machine start podman-machine-default', 'podman machine inspect podman-machine-default')
            Get-UpdateLog | Should -Match '\[INFO\] podman machine podman-machine-default is running \(podman machine inspect\)\.'
        }

        It 'Given the task runs before logon (session 0), starts the machine so that podman uses the WSL package''s wsl.exe' {
            Set-SimSession0
            Invoke-Update | Should -Be 0
            (Read-SimState 'podman.json').machines['podman-machine-default'] | Should -Be 'running'
            $shim = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/podman-wsl/Microsoft/WindowsApps/wsl.exe'
            Get-SimCall -Program 'podman' | Should -Contain "podman started podman-machine-default with $shim"
            (Get-Item -LiteralPath $shim).Target | Should -Be (Join-Path (Join-Path $global:WslppSim.ProgramFiles 'WSL') 'wsl.exe')
            Get-UpdateLog | Should -Match ([regex]::Escape("[INFO] podman machine podman-machine-default is running (podman machine inspect)."))
        }

        It 'Given Podman 5.6 or later (wsl from PATH) before logon, with PATH as Windows has it (System32 first, WSL last), starts the machine with the WSL package''s wsl.exe' {
            Set-SimSession0
            Set-SimWindowsPath
            Write-SimState 'podman.json' @{ version = '5.8.2'; machines = @{ 'podman-machine-default' = 'stopped' } }
            Invoke-Update | Should -Be 0 -Because $script:LastRun.Output
            $package = Join-Path (Join-Path $global:WslppSim.ProgramFiles 'WSL') 'wsl.exe'
            Get-SimCall -Program 'podman' | Should -Contain "podman started podman-machine-default with $package"
            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
        }

        It 'Given only a per-user Podman <Version> (%LOCALAPPDATA%\Programs\Podman) before logon, starts the machine with it and the WSL package''s wsl.exe' -ForEach @(@{ Version = '5.5.2' }, @{ Version = '5.8.2' }) {
            Remove-SimulatedWindows
            New-SimulatedWindows -PodmanScope User | Out-Null
            Set-SimSession0
            Set-SimWindowsPath
            Write-SimState 'podman.json' @{ version = $Version; machines = @{ 'podman-machine-default' = 'stopped' } }
            Invoke-Update | Should -Be 0 -Because $script:LastRun.Output
            (Read-SimState 'podman.json').machines['podman-machine-default'] | Should -Be 'running'
            Get-UpdateLog | Should -Match ([regex]::Escape("with $(Join-Path $env:LOCALAPPDATA 'Programs/Podman/podman.exe')."))
        }

        It 'Given podman machine start fails, the run fails with exit code 12, logs and writes no rule' {
            Write-SimState 'eventsources.json' @{ WslPortProxy = 'Application' }
            Write-SimState 'podman.json' @{ machines = @{ 'podman-machine-default' = 'stopped' }; start_fault = @{ exit = 125; message = 'Error: could not start gvproxy' } }
            Invoke-Update | Should -Be 12
            $message = 'Failed (exit code 12): podman machine start podman-machine-default failed (exit 125): Error: could not start gvproxy'
            Get-UpdateLog | Should -Match ([regex]::Escape("[ERROR] $message"))
            @(Get-SimEvent)[-1] | Should -BeLike "3000 Error $message*"
            Get-UpdateLog | Should -Not -Match 'Applied'
            Get-SimPortProxy | Should -BeNullOrEmpty
        }

        It 'Given podman machine start reports success but the machine does not run, the run fails with exit code 12' {
            Write-SimState 'podman.json' @{ machines = @{ 'podman-machine-default' = 'stopped' }; start_fault = @{ stays = 'stopped' } }
            Invoke-Update | Should -Be 12
            Get-UpdateLog | Should -Match ([regex]::Escape('[ERROR] Failed (exit code 12): podman machine start podman-machine-default reported success, but podman machine inspect says stopped.'))
        }

        It 'says so in the log when podman is not installed for the account, and still forwards' {
            Remove-SimulatedWindows
            New-SimulatedWindows -NoPodman | Out-Null
            Invoke-Update | Should -Be 0
            Get-UpdateLog | Should -Match '\[WARN\] podman\.exe was not found for CORP\\svc-podman; not starting podman machine podman-machine-default\.'
            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
        }
    }

    Context 'Given the rules are already right' {
        It 'a second run changes nothing: no netsh, no firewall or service write, state file untouched' {
            Invoke-Update | Should -Be 0
            $before = Get-SimSnapshot
            $stateFile = Get-Item (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/state.json')
            $stamp = $stateFile.LastWriteTimeUtc
            Clear-SimCall

            Invoke-Update | Should -Be 0

            Get-SimSnapshot | Should -Be $before
            (Get-Item $stateFile.FullName).LastWriteTimeUtc | Should -Be $stamp
            # Every netsh, firewall and service call is recorded: only the WSL and podman queries and
            # the firewall reads (cim) ran.
            Get-SimCall | Where-Object { $_ -notlike 'wsl *' -and $_ -notlike 'podman *' -and $_ -notlike 'cim *' } | Should -BeNullOrEmpty
        }

        It 'a steady-state run makes the same CIM queries for 10 ports as for 1: a constant number' {
            $ten = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 2s
    ports: [80, 81, 82, 83, 84, 85, 86, 87, 88, 89]
'@
            $queries = foreach ($dist in $script:Seed, $ten) {
                Remove-SimulatedWindows
                New-SimulatedWindows | Out-Null
                Invoke-Update -Dist $dist | Should -Be 0
                Clear-SimCall
                Invoke-Update -Dist $dist | Should -Be 0
                , @(Get-SimCall -Program 'cim')
            }
            $queries[0].Count | Should -BeGreaterThan 0
            $queries[0].Count | Should -BeLessOrEqual 6   # own addresses, our firewall group, its two filter kinds, listeners, services
            $queries[1] | Should -Be $queries[0]
            Get-UpdateLog | Should -Match 'No change: every rule is already right\.'
        }
    }

    Context 'Given WSL restarted with a new IP' {
        It 'rewrites the rule in place with netsh set (never deletes it first)' {
            Invoke-Update | Should -Be 0
            Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.250.7'; no_ip_for = 0 } }
            Clear-SimCall

            Invoke-Update | Should -Be 0

            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.250.7/80'
            Get-SimCall -Program 'netsh' | Should -Be @('netsh interface portproxy set v4tov4 listenaddress=0.0.0.0 listenport=80 connectaddress=172.28.250.7 connectport=80 protocol=tcp')
            Get-SimCall -Program 'cmdlet' | Should -BeNullOrEmpty
        }
    }

    Context 'Given a port was removed from the inventory' {
        It 'deletes the stale rule it created and keeps a rule it never made' {
            Set-SimPortProxy @{ '0.0.0.0/3389' = '10.0.0.5/3389' }
            Invoke-Update -Dist $script:TwoPorts | Should -Be 0
            (Get-SimPortProxy)['0.0.0.0/8080'] | Should -Be '172.28.241.140/8000'
            (Get-SimFirewall).ContainsKey('WslPortProxy-TCP-0.0.0.0-8080') | Should -BeTrue

            Invoke-Update -Dist $script:Seed | Should -Be 0

            $rules = Get-SimPortProxy
            $rules.ContainsKey('0.0.0.0/8080') | Should -BeFalse
            $rules['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
            $rules['0.0.0.0/3389'] | Should -Be '10.0.0.5/3389'
            (Get-SimFirewall).ContainsKey('WslPortProxy-TCP-0.0.0.0-8080') | Should -BeFalse
            (Get-SimFirewall).ContainsKey('WslPortProxy-TCP-0.0.0.0-80') | Should -BeTrue
        }
    }

    Context 'Given a rule someone else made on a forwarded address and port (taken over, honestly)' {
        It 'takes it over with a warning, records its old target, and -Remove puts it back as it was' {
            Set-SimPortProxy @{ '0.0.0.0/80' = '172.28.1.1/80'; '0.0.0.0/3389' = '10.0.0.5/3389' }
            Invoke-Update | Should -Be 0
            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
            Get-UpdateLog | Should -Match ([regex]::Escape('[WARN] Taking over portproxy 0.0.0.0/80, which pointed at 172.28.1.1/80 and was not created by this tool; removing it from the inventory or -Remove puts it back to 172.28.1.1/80.'))
            $state = Get-Content -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/state.json') -Raw | ConvertFrom-Json
            $state.takenOver.'0.0.0.0/80' | Should -Be '172.28.1.1/80'

            Invoke-Update -Arguments '-Remove' | Should -Be 0

            $rules = Get-SimPortProxy
            $rules['0.0.0.0/80'] | Should -Be '172.28.1.1/80'
            $rules['0.0.0.0/3389'] | Should -Be '10.0.0.5/3389'
            Get-SimNetshCommand | Select-Object -Last 1 | Should -Be 'interface portproxy set v4tov4 listenaddress=0.0.0.0 listenport=80 connectaddress=172.28.1.1 connectport=80 protocol=tcp'
            Get-UpdateLog | Should -Match ([regex]::Escape('[INFO] Restored portproxy 0.0.0.0/80 -> 172.28.1.1/80, as it was before this tool took it over.'))
            Get-UpdateLog | Should -Match ([regex]::Escape('[INFO] Applied: 0 rule(s) written, 1 removed, 1 restored.'))
        }

        It 'a hand-made rule that already points at WSL is recorded as found, and -Remove leaves it in place' {
            Set-SimPortProxy @{ '0.0.0.0/80' = '172.28.241.140/80' }
            Invoke-Update | Should -Be 0
            Invoke-Update -Arguments '-Remove' | Should -Be 0
            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
            Get-UpdateLog | Should -Match ([regex]::Escape('[INFO] Leaving portproxy 0.0.0.0/80 in place: it was there, pointing at 172.28.241.140/80, before this tool took it over.'))
        }

        It 'dropping the port from the inventory also puts it back, after WSL moved in between' {
            Set-SimPortProxy @{ '0.0.0.0/8080' = '172.28.1.1/9999' }
            Invoke-Update -Dist $script:TwoPorts | Should -Be 0
            Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.9.9' } }
            Invoke-Update -Dist $script:TwoPorts | Should -Be 0
            (Get-SimPortProxy)['0.0.0.0/8080'] | Should -Be '172.28.9.9/8000'

            Invoke-Update -Dist $script:Seed | Should -Be 0

            (Get-SimPortProxy)['0.0.0.0/8080'] | Should -Be '172.28.1.1/9999'
            $state = Get-Content -LiteralPath (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/state.json') -Raw | ConvertFrom-Json
            @($state.takenOver.PSObject.Properties) | Should -HaveCount 0
        }
    }

    Context 'Given a tampered state file' {
        It 'warns about rules it names that are not what this tool wrote, and deletes none of them' {
            Invoke-Update | Should -Be 0
            Set-SimPortProxy (@{ '0.0.0.0/80' = '172.28.241.140/80'; '0.0.0.0/3389' = '10.0.0.5/3389' })
            $null = New-NetFirewallRule -Name 'WslPortProxy-TCP-0.0.0.0-3389' -DisplayName 'RDP' -Group 'Remote Desktop' -Direction Inbound -Action Allow -Protocol TCP -LocalPort 3389 -Profile Domain -Enabled True
            $statePath = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/state.json'
            $state = ConvertTo-SimHashtable (Get-Content -LiteralPath $statePath -Raw | ConvertFrom-Json)
            $state.portProxy['0.0.0.0/3389'] = '172.28.241.140/3389'
            $state.firewall += 'WslPortProxy-TCP-0.0.0.0-3389'
            $state | ConvertTo-Json | Set-Content -LiteralPath $statePath

            Invoke-Update | Should -Be 0

            (Get-SimPortProxy)['0.0.0.0/3389'] | Should -Be '10.0.0.5/3389'
            (Get-SimFirewall).ContainsKey('WslPortProxy-TCP-0.0.0.0-3389') | Should -BeTrue
            Get-UpdateLog | Should -Match ([regex]::Escape('[WARN] Leaving portproxy 0.0.0.0/3389 alone: it points at 10.0.0.5/3389, not at 172.28.241.140/3389 as this tool wrote it, so it is not ours.'))
            Get-UpdateLog | Should -Match ([regex]::Escape("[WARN] Leaving firewall rule WslPortProxy-TCP-0.0.0.0-3389 alone: it is in group 'Remote Desktop', not 'WSL Port Proxy', so it is not ours."))
        }

        It 'ignores a state file of another server' {
            Invoke-Update -Dist $script:TwoPorts | Should -Be 0
            $statePath = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/state.json'
            (Get-Content -LiteralPath $statePath -Raw).Replace('"WEB-01"', '"DB-02"') | Set-Content -LiteralPath $statePath
            Invoke-Update -Dist $script:Seed | Should -Be 0
            (Get-SimPortProxy)['0.0.0.0/8080'] | Should -Be '172.28.241.140/8000'
            Get-UpdateLog | Should -Match ([regex]::Escape("[WARN] Ignoring the state file $statePath`: it belongs to server 'DB-02', not WEB-01"))
        }
    }

    Context 'Given WSL never gets an IPv4 address on eth0' {
        It 'exits with code 4 after wait_for_wsl and leaves every rule as it was' {
            Invoke-Update | Should -Be 0
            Set-SimPortProxy (@{ '0.0.0.0/80' = '172.28.241.140/80'; '0.0.0.0/3389' = '10.0.0.5/3389' })
            Set-SimWsl @{ 'podman-machine-default' = @{ ip = $null; no_ip_for = 0 } }
            $before = Get-SimSnapshot

            $elapsed = Measure-Command { Invoke-Update | Should -Be 4 }

            Get-SimSnapshot | Should -Be $before
            $elapsed.TotalSeconds | Should -BeGreaterOrEqual 2
            Get-UpdateLog | Should -Match "\[ERROR\] Failed \(exit code 4\): WSL distribution 'podman-machine-default' had no IPv4 address on eth0 within 2 seconds \(\d+ attempts; last output: nat\)\. No rule was changed\."
        }

        It 'keeps waiting while WSL is slow, and succeeds once eth0 has an address' {
            Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.241.140'; no_ip_for = 1 } }
            Invoke-Update | Should -Be 0
            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
            Get-SimCall -Program 'wsl' | Should -HaveCount 2
        }
    }

    Context 'Given WSL does not use NAT networking: only nat is forwarded (wslinfo --networking-mode)' {
        It 'Given <Mode>, exits 11 naming the mode and what it means, and changes nothing' -ForEach @(
            @{ Mode = 'bridged'; Ip = '192.168.0.77'
                Message = "WSL uses bridged networking (wslinfo --networking-mode): the VM has its own address on the LAN, so clients can reach WSL directly and no portproxy rule is needed. If this tool should forward instead, set networkingMode=nat in the [wsl2] section of %USERPROFILE%\.wslconfig of the task's account and run wsl --shutdown. No rule was changed." }
            @{ Mode = 'mirrored'; Ip = '192.168.0.12'
                Message = "WSL uses mirrored networking (wslinfo --networking-mode): eth0 carries this server's own addresses, so a portproxy rule would forward the port into this server itself (microsoft/WSL#11272). To forward with this tool, set networkingMode=nat in the [wsl2] section of %USERPROFILE%\.wslconfig of the task's account and run wsl --shutdown (Windows Server has no mirrored mode). No rule was changed." }
            @{ Mode = 'consomme'; Ip = '172.28.5.5'
                Message = "WSL uses consomme networking (wslinfo --networking-mode; virtioproxy before WSL 2.9.0): WSL binds this server's ports itself when a program in WSL listens, so a portproxy rule would fight it for the port. To forward with this tool, set networkingMode=nat in the [wsl2] section of %USERPROFILE%\.wslconfig of the task's account and run wsl --shutdown. No rule was changed." }
            @{ Mode = 'virtioproxy'; Ip = '172.28.5.5'
                Message = "WSL uses virtioproxy networking (wslinfo --networking-mode; consomme from WSL 2.9.0): WSL binds this server's ports itself when a program in WSL listens, so a portproxy rule would fight it for the port. To forward with this tool, set networkingMode=nat in the [wsl2] section of %USERPROFILE%\.wslconfig of the task's account and run wsl --shutdown. No rule was changed." }
            @{ Mode = 'none'; Ip = $null
                Message = "WSL uses none networking (wslinfo --networking-mode): the VM has no network, so there is nothing to forward to (WSL also falls back to none when it cannot set up the mode asked for, e.g. mirrored on Windows Server, microsoft/WSL#40439). Set networkingMode=nat in the [wsl2] section of %USERPROFILE%\.wslconfig of the task's account and run wsl --shutdown. No rule was changed." }
            @{ Mode = 'wsl1'; Ip = '192.168.0.12'
                Message = "WSL uses wsl1 networking (wslinfo --networking-mode): the distribution runs under WSL 1, which shares this server's network stack, so its ports are this server's ports already and a rule would forward into this server itself. To forward with this tool, convert it to WSL 2 (wsl --set-version podman-machine-default 2) in NAT mode. No rule was changed." }
            @{ Mode = 'futuremode'; Ip = '172.28.5.5'
                Message = "WSL uses futuremode networking (wslinfo --networking-mode), a mode this version of WslPortProxy does not know; it forwards only in nat mode rather than guess. Set networkingMode=nat in the [wsl2] section of %USERPROFILE%\.wslconfig of the task's account and run wsl --shutdown, or use a WslPortProxy that knows the mode. No rule was changed." }
        ) {
            Invoke-Update | Should -Be 0   # forwarding in NAT mode; then the task account's WSL changes mode
            Set-SimPortProxy (@{ '0.0.0.0/80' = '172.28.241.140/80'; '0.0.0.0/3389' = '10.0.0.5/3389' })
            Set-SimWsl @{ 'podman-machine-default' = @{ ip = $Ip; networking_mode = $Mode } }
            Remove-Item -LiteralPath (Join-Path $global:WslppSim.State 'calls.log')
            $before = Get-SimSnapshot

            Invoke-Update | Should -Be 11

            Get-SimSnapshot | Should -Be $before
            Get-SimCall -Program 'netsh' | Should -BeNullOrEmpty
            Get-SimCall -Program 'wsl' | Should -HaveCount 1   # at once: no waiting for an address
            Get-UpdateLog | Should -Match ([regex]::Escape("[ERROR] Failed (exit code 11): $Message"))
            $script:LastRun.Error | Should -Match ([regex]::Escape("WSL uses $Mode networking"))
        }

        It 'Given WSL 1.x (no wslinfo) with eth0 the host''s own NIC, exits 11 as the address is this server''s own' {
            Set-SimWsl @{ 'podman-machine-default' = @{ ip = '192.168.0.12'; networking_mode = $null } }
            Invoke-Update | Should -Be 11
            Get-SimPortProxy | Should -BeNullOrEmpty
            Get-UpdateLog | Should -Match ([regex]::Escape("[ERROR] Failed (exit code 11): WSL's address 192.168.0.12 is one of this server's own addresses (WSL 1, or mirrored networking): a portproxy rule to it would forward the port into this server itself. Use WSL 2 with NAT networking. No rule was changed."))
        }
    }

    Context 'Given another user squats a lock: the locks are files in a folder only Administrators and SYSTEM may open' {
        It 'Given another process holds the mutex Global\WslPortProxy-Reconcile-WEB-01, reconciles at once: no name any user can create is a lock' {
            # Any user may create a Global\ mutex (learn.microsoft.com, "Kernel object namespaces"); one held by
            # someone else made every run wait wait_for_wsl + 300 s and exit 8.
            $ready = New-Object System.Threading.ManualResetEvent $false
            $release = New-Object System.Threading.ManualResetEvent $false
            $holder = [powershell]::Create()
            $null = $holder.AddScript({
                    param($Ready, $Release)
                    $mutex = New-Object System.Threading.Mutex $false, 'Global\WslPortProxy-Reconcile-WEB-01'
                    $null = $mutex.WaitOne()
                    $null = $Ready.Set()
                    $null = $Release.WaitOne(120000)
                    $mutex.ReleaseMutex()
                    $mutex.Dispose()
                }).AddArgument($ready).AddArgument($release)
            $async = $holder.BeginInvoke()
            try {
                $ready.WaitOne(10000) | Should -BeTrue
                $script:LastRun = Invoke-SimEntryScript -Path (Join-Path $script:Seed 'WEB-01/Update-WslPortProxy.ps1') -TimeoutSeconds 60
                $script:LastRun.ExitCode | Should -Be 0 -Because $script:LastRun.Error
                (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
            }
            finally {
                $null = $release.Set()
                $null = $holder.EndInvoke($async)
                $holder.Dispose()
            }
        }

        It 'keeps its locks in the folder locks of the install folder, which only Administrators and SYSTEM may open' {
            Invoke-Update | Should -Be 0
            $locks = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/locks'
            Test-Path -LiteralPath (Join-Path $locks 'Reconcile.lock') -PathType Leaf | Should -BeTrue
            $acl = Get-Acl -LiteralPath $locks
            $acl.Sddl | Should -Be 'O:BAG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)'
        }

        It 'Given a lock folder another user made, exits 8 saying so and changes no rule' {
            $locks = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/locks'
            New-Item -ItemType Directory -Path $locks -Force | Out-Null
            Set-SimPlanted -Path $locks
            Invoke-Update | Should -Be 8
            Get-SimPortProxy | Should -BeNullOrEmpty
            ($script:LastRun.Error -replace '[\s|]', '') | Should -Match ([regex]::Escape(("Failed (exit code 8): The lock folder $locks cannot be trusted (it is owned by S-1-5-21-1004336348-1177238915-682003330-1005, not by Administrators or SYSTEM): someone else could hold the locks" -replace '\s', '')))
        }

        It 'Given the process that held the reconcile lock was killed, the next run takes it at once' {
            Invoke-Update | Should -Be 0   # makes the lock folder
            $lock = Join-Path $global:WslppSim.ProgramData 'WslPortProxy/locks/Reconcile.lock'
            $shell = @(Get-ChildItem -LiteralPath $PSHOME -Filter 'pwsh*' | Where-Object { $_.Name -in 'pwsh', 'pwsh.exe' })[0].FullName
            $code = "`$ErrorActionPreference = 'Stop'; `$f = [System.IO.File]::Open('$lock', 'OpenOrCreate', 'ReadWrite', 'None'); 'held'; Start-Sleep -Seconds 600"
            $start = New-Object System.Diagnostics.ProcessStartInfo $shell
            foreach ($word in '-NoProfile', '-NonInteractive', '-Command', $code) { $start.ArgumentList.Add($word) }
            $start.RedirectStandardOutput = $true
            $start.UseShellExecute = $false
            $holder = [System.Diagnostics.Process]::Start($start)
            try {
                $holder.StandardOutput.ReadLine() | Should -Be 'held'
                { [System.IO.File]::Open($lock, 'Open', 'ReadWrite', 'None').Dispose() } | Should -Throw -Because 'another process holds it'
                $holder.Kill()
                $holder.WaitForExit()
                $clock = [System.Diagnostics.Stopwatch]::StartNew()
                Invoke-Update | Should -Be 0
                $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
            }
            finally {
                if (-not $holder.HasExited) { $holder.Kill() }
                $holder.Dispose()
            }
        }
    }

    Context 'Given wsl.exe hangs' {
        It 'ends it at its timeout with the processes it started, exits 14 naming it, changes nothing, and the next run works' {
            $copy = Join-Path $TestDrive 'hang'
            Copy-Item -LiteralPath $script:Seed -Destination $copy -Recurse
            $settings = Join-Path $copy 'WEB-01/WslPortProxy.Settings.psd1'
            Set-Content -LiteralPath $settings -Value (Get-Content -Raw -LiteralPath $settings).Replace('Wsl = 120', 'Wsl = 2') -Encoding UTF8
            Write-SimState 'podman.json' @{ machines = @{ 'podman-machine-default' = 'running' } }
            Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.241.140'; hang = -1 } }
            $before = Get-SimRules

            Invoke-Update -Dist $copy | Should -Be 14
            # The error is wrapped at the console's width: compared without white space.
            ($script:LastRun.Error -replace '[\s|]', '') | Should -Match ([regex]::Escape(('Failed (exit code 14): wsl.exe did not finish within 2 s (wsl.exe --distribution podman-machine-default --exec sh -c ip -4 -o addr show dev eth0; wslinfo --networking-mode 2>/dev/null; true), so it was ended with the processes it started.' -replace '\s', '')))
            Get-SimRules | Should -Be $before
            @(Get-SimCall -Program 'taskkill') | Should -HaveCount 1

            Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.241.140' } }
            Invoke-Update -Dist $copy | Should -Be 0 -Because 'the lock was let go'
            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
        }
    }

    Context 'Given the distribution does not exist for the task account' {
        It 'Given an inbox wsl.exe that says so only in German, knows from wsl --list --quiet that the distribution is missing (exit 3)' {
            Write-SimState 'wsl.json' @{ locale = 'de'; distros = @{ 'Ubuntu' = @{ ip = '172.28.241.140' } } }
            Invoke-Update | Should -Be 3
            Get-UpdateLog | Should -Match ([regex]::Escape("WSL distribution 'podman-machine-default' is not registered for CORP\svc-podman (wsl.exe: Es gibt keine Verteilung mit dem angegebenen Namen.; wsl.exe --list --quiet lists: Ubuntu)."))
        }

        It 'decodes wsl.exe as UTF-8 even under a legacy console code page (a French server''s message reads right)' {
            Write-SimState 'wsl.json' @{ locale = 'fr'; distros = @{ 'Ubuntu' = @{ ip = '172.28.241.140' } } }
            $saved = [Console]::OutputEncoding
            try {
                [Console]::OutputEncoding = [System.Text.Encoding]::GetEncoding(437)
                Invoke-Update | Should -Be 3
            }
            finally { [Console]::OutputEncoding = $saved }
            Get-UpdateLog | Should -Match ([regex]::Escape("(wsl.exe: Aucune distribution portant le nom indiqué n’a été trouvée.; wsl.exe --list --quiet lists: Ubuntu)"))
            [Console]::OutputEncoding.WebName | Should -Be $saved.WebName   # restored after each call
        }

        It 'exits with code 3 and says so' {
            Set-SimWsl @{ 'Ubuntu' = @{ ip = '172.28.241.140'; no_ip_for = 0 } }
            Invoke-Update | Should -Be 3
            Get-SimPortProxy | Should -BeNullOrEmpty
            Get-UpdateLog | Should -Match ([regex]::Escape("[ERROR] Failed (exit code 3): WSL distribution 'podman-machine-default' is not registered for CORP\svc-podman (wsl.exe: There is no distribution with the supplied name. Error code: Wsl/Service/WSL_E_DISTRO_NOT_FOUND; wsl.exe --list --quiet lists: Ubuntu). The task must run as the account that owns the distribution."))
        }
    }

    Context 'Given netsh fails on the second of three ports' {
        It 'exits with code 5 and every rule that existed before is still there' {
            Set-SimPortProxy (@{ '0.0.0.0/443' = '172.28.1.1/443'; '0.0.0.0/3389' = '10.0.0.5/3389' })
            Write-SimState 'netsh-faults.json' @{ fail_write_numbers = @(2); writes = 0 }

            Invoke-Update -Dist $script:ThreePorts | Should -Be 5

            $rules = Get-SimPortProxy
            $rules['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
            $rules['0.0.0.0/443'] | Should -Be '172.28.1.1/443'
            $rules['0.0.0.0/3389'] | Should -Be '10.0.0.5/3389'
            Get-UpdateLog | Should -Match '\[ERROR\] Failed \(exit code 5\): netsh -f with 3 portproxy commands failed \(exit 1\): The requested operation requires elevation \(Run as administrator\)\.'
            Get-SimNetshCommand | Should -Be @(
                'interface portproxy add v4tov4 listenaddress=0.0.0.0 listenport=80 connectaddress=172.28.241.140 connectport=80 protocol=tcp',
                'interface portproxy set v4tov4 listenaddress=0.0.0.0 listenport=443 connectaddress=172.28.241.140 connectport=443 protocol=tcp')
            Get-UpdateLog | Should -Match 'Added portproxy 0\.0\.0\.0/80 -> 172\.28\.241\.140/80\.'
            (Get-Content -Raw (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/state.json') | ConvertFrom-Json).portProxy.PSObject.Properties.Name | Should -Be @('0.0.0.0/80')
        }
    }

    Context 'Given netsh exits 0 without applying a rule' {
        It 'exits with code 5, because the registry, not netsh, decides' {
            Set-SimPortProxy (@{ '0.0.0.0/3389' = '10.0.0.5/3389' })
            Write-SimState 'netsh-faults.json' @{ fail_write_numbers = @(); ignore_write_numbers = @(1); writes = 0 }

            Invoke-Update | Should -Be 5

            (Get-SimPortProxy)['0.0.0.0/3389'] | Should -Be '10.0.0.5/3389'
            (Get-SimPortProxy).ContainsKey('0.0.0.0/80') | Should -BeFalse
            Get-UpdateLog | Should -Match ([regex]::Escape('[ERROR] Failed (exit code 5): netsh reported success, but portproxy 0.0.0.0/80 is not forwarding to 172.28.241.140/80 in the registry.'))
        }
    }

    Context 'Given the IP Helper service is stopped' {
        It 'makes it automatic and starts it' {
            Write-SimState 'services.json' @{ iphlpsvc = @{ Status = 'Stopped'; StartType = 'Manual' } }
            Invoke-Update | Should -Be 0
            (Read-SimState 'services.json').iphlpsvc.Status | Should -Be 'Running'
            (Read-SimState 'services.json').iphlpsvc.StartType | Should -Be 'Automatic'
        }

        It 'exits with code 7 when it refuses to start, without touching the rules' {
            Write-SimState 'services.json' @{ iphlpsvc = @{ Status = 'Stopped'; StartType = 'Automatic'; RefuseStart = $true } }
            Invoke-Update | Should -Be 7
            Get-SimPortProxy | Should -BeNullOrEmpty
            Get-UpdateLog | Should -Match ([regex]::Escape("[ERROR] Failed (exit code 7): The IP Helper service (iphlpsvc) is not running and could not be started: Service 'iphlpsvc' cannot be started due to the following error: Cannot start service iphlpsvc on computer '.'."))
        }
    }

    Context 'Given IP Helper cannot listen on a forwarded port (the registry is configuration, not state)' {
        BeforeEach { Write-SimState 'eventsources.json' @{ WslPortProxy = 'Application' } }

        It 'Given HTTP.sys (System, PID 4) holds port 80, warns with the owner''s name and the run result says so' {
            Write-SimState 'network.json' @{ listening = @(@{ endpoint = '0.0.0.0:80'; pid = 4 }) }
            Invoke-Update -Dist $script:TwoPorts | Should -Be 0
            $problem = '0.0.0.0:80 is held by System (PID 4: HTTP.sys, e.g. IIS or WinRM), so IP Helper cannot listen there'
            Get-UpdateLog | Should -Match ([regex]::Escape("[WARN] $problem."))
            Get-UpdateLog | Should -Match ([regex]::Escape("[INFO] Applied: 4 rule(s) written, 0 removed; 1 of 2 forwarded port(s) not listening: $problem."))
            @(Get-SimEvent) | Should -Contain "2000 Warning 1 of 2 forwarded port(s) not listening: $problem."
        }

        It 'Given port 8080 lies in an excluded port range, warns that IP Helper does not listen there' {
            Write-SimState 'network.json' @{ excluded_ranges = @(, @(8050, 8149)) }
            Invoke-Update -Dist $script:TwoPorts | Should -Be 0
            Get-UpdateLog | Should -Match ([regex]::Escape('[WARN] IP Helper does not listen on 0.0.0.0:8080 (is the port in an excluded range? netsh int ipv4 show excludedportrange protocol=tcp).'))
        }

        It 'Given every port listens, says nothing about listeners and asks two constant queries' {
            Invoke-Update -Dist $script:TwoPorts | Should -Be 0
            Get-UpdateLog | Should -Not -Match 'not listening|held by'
            @(Get-SimCall -Program 'cim' | Where-Object { $_ -like 'cim Get-NetTCPConnection*' -or $_ -like 'cim Get-CimInstance*' }) |
                Should -Be @('cim Get-NetTCPConnection -State Listen', "cim Get-CimInstance Win32_Service State='Running'")
        }
    }

    Context 'Given a container already publishes the forwarded port (WSL''s localhost relay listens on 127.0.0.1 for it)' {
        BeforeEach {
            Write-SimState 'eventsources.json' @{ WslPortProxy = 'Application' }
            Write-SimState 'podman.json' @{ machines = @{ 'podman-machine-default' = 'running' } }
            Set-SimContainer @{ web = @(New-SimPublish -HostPort 80) }
        }

        It 'forwards it, IP Helper listens beside the relay, and -Status finds nothing wrong' {
            Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; answering = @(80) }
            Invoke-Update | Should -Be 0
            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
            @(Get-NetTCPConnection -State Listen | ForEach-Object { '{0}:{1} {2}' -f $_.LocalAddress, $_.LocalPort, $_.OwningProcess }) |
                Should -Be @('127.0.0.1:80 5120', '0.0.0.0:80 2872')
            Get-UpdateLog | Should -Not -Match 'not listening|held by'
            Invoke-Update -Arguments '-Status' | Should -Be 0 -Because $script:LastRun.Output
        }

        It 'Given IP Helper wanted the port for itself (its socket options are not documented), writes the rule and says who holds the port and what to do' {
            Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; answering = @(80); iphelper_exclusive = $true }
            Invoke-Update | Should -Be 0
            (Get-SimPortProxy)['0.0.0.0/80'] | Should -Be '172.28.241.140/80'
            $problem = 'IP Helper does not listen on 0.0.0.0:80 although its rule is written; 127.0.0.1:80 is held by wslrelay (PID 5120), ' +
                'WSL''s localhost relay: IP Helper seems to want the port for itself. Set localhostForwarding=false under [wsl2] in the ' +
                '.wslconfig of the account that runs WSL (portproxy then serves this server''s localhost too), then restart WSL (wsl --shutdown)'
            Get-UpdateLog | Should -Match ([regex]::Escape("[WARN] $problem."))
            Invoke-Update -Arguments '-Status', '-Json' | Should -Be 9
            (ConvertFrom-Json $script:LastRun.Output).Ports[0].Problem | Should -BeExactly $problem
        }

        It 'Given IP Helper bound the port first (at boot, before WSL), the relay stays out and the rule serves the server''s own localhost too' {
            Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; answering = @(80); iphelper_first = $true }
            Invoke-Update | Should -Be 0
            @(Get-NetTCPConnection -State Listen | ForEach-Object { '{0}:{1} {2}' -f $_.LocalAddress, $_.LocalPort, $_.OwningProcess }) |
                Should -Be @('0.0.0.0:80 2872')
            Invoke-Update -Arguments '-Status' | Should -Be 0 -Because $script:LastRun.Output
        }

        It 'Given another program holds the port on the wildcard address, that is still a conflict' {
            Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(@{ endpoint = '0.0.0.0:80'; pid = 1234 }); processes = @{ '1234' = 'nginx' } }
            Invoke-Update | Should -Be 0
            Get-UpdateLog | Should -Match ([regex]::Escape('[WARN] 0.0.0.0:80 is held by nginx (PID 1234), so IP Helper cannot listen there.'))
        }
    }

    Context 'Given -WhatIf' {
        It 'says what it would change instead of "No change"' {
            Set-SimPortProxy (@{ '0.0.0.0/80' = '172.28.1.1/80' })
            $global:LASTEXITCODE = 0
            $output = & (Join-Path $script:Seed 'WEB-01/Update-WslPortProxy.ps1') -WhatIf 6>$null 3>$null
            $LASTEXITCODE | Should -Be 0
            $output.Message | Should -Be 'What if: 2 rule(s) would be written, 0 removed.'
            @($output.Changes | Where-Object { $_.Planned } | ForEach-Object { "$($_.Kind) $($_.Action) $($_.Name)" }) |
                Should -Be @('PortProxy TookOver 0.0.0.0/80', 'Firewall Created WslPortProxy-TCP-0.0.0.0-80')
        }

        It 'changes nothing at all, run as an admin runs it from cmd (powershell -File Update-WslPortProxy.ps1 -WhatIf)' {
            Set-SimPortProxy (@{ '0.0.0.0/80' = '172.28.1.1/80' })
            $before = Get-SimSnapshot

            Invoke-Update -Arguments '-WhatIf' | Should -Be 0 -Because $script:LastRun.Error
            $script:LastRun.Output | Should -Match 'What if: 2 rule\(s\) would be written, 0 removed\.'

            Get-SimSnapshot | Should -Be $before
            Get-SimCall -Program 'netsh' | Should -BeNullOrEmpty
            Get-SimCall -Program 'cmdlet' | Should -BeNullOrEmpty
        }
    }

    Context 'Given the firewall rule was changed by hand' {
        It 'corrects it, and accepts the way Windows reports subnets (a.b.c.d/255.255.255.0)' {
            $dist = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    ports: [{listen: 5432, allow_from: [192.168.0.0/24]}]
'@
            Invoke-Update -Dist $dist | Should -Be 0
            Clear-SimCall
            Invoke-Update -Dist $dist | Should -Be 0
            Get-SimCall -Program 'cmdlet' | Should -BeNullOrEmpty

            $rules = Get-SimFirewall
            $rules['WslPortProxy-TCP-0.0.0.0-5432'].RemoteAddress = @('Any')
            Write-SimState 'firewall.json' $rules
            Invoke-Update -Dist $dist | Should -Be 0
            Get-SimCall -Program 'cmdlet' | Should -Be @('cmdlet Set-NetFirewallRule WslPortProxy-TCP-0.0.0.0-5432')
            (Get-SimFirewall)['WslPortProxy-TCP-0.0.0.0-5432'].RemoteAddress | Should -Be @('192.168.0.0/24')
        }
    }
}
