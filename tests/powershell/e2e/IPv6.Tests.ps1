# IPv6 clients: v6tov4 portproxy rules to WSL's IPv4 address, end to end on the simulated Windows.

BeforeAll {
    . (Join-Path $PSScriptRoot '../sim/SimulatedWindows.ps1')
    . (Join-Path $PSScriptRoot '../TestHelpers.ps1')
    $script:Bundle = New-TestBundle -Inventory @'
servers:
  - name: WEB-01
    run_as: CORP\svc-podman
    wait_for_wsl: 3s
    ports:
      - 80
      - {listen: 80, listen_address: "::", allow_from: ["2001:db8::/32"]}
      - {listen: 8443, connect: 443, listen_address: "2001:DB8:0::12", allow_from: [LocalSubnet]}
'@
    $script:Update = Join-Path $script:Bundle 'WEB-01/Update-WslPortProxy.ps1'

    function Invoke-Run {
        <# One run of the entry script as the task runs it (pwsh -File, its own process); returns its exit code. #>
        param([hashtable] $Parameters = @{})
        return (Invoke-SimEntryScript -Path $script:Update -Arguments (ConvertTo-SimEntryWord $Parameters)).ExitCode
    }
}

Describe 'IPv6 listeners (listen_address "::" or an IPv6 address)' {
    BeforeEach {
        New-SimulatedWindows | Out-Null
        Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; listening = @(); answering = @(80, 443); blocked = @() }
    }
    AfterEach { Remove-SimulatedWindows }

    It 'creates v6tov4 rules to WSL''s IPv4 address beside the v4tov4 one, with their own firewall rules, and records them' {
        Invoke-Run | Should -Be 0
        (Get-SimPortProxy).Keys | Should -Be @('0.0.0.0/80')
        $v6 = Get-SimPortProxyV6
        $v6['::/80'] | Should -Be '172.28.241.140/80'
        $v6['2001:db8::12/8443'] | Should -Be '172.28.241.140/443'
        @($v6.Keys) | Should -HaveCount 2
        Get-SimNetshCommand | Should -Contain 'interface portproxy add v6tov4 listenaddress=:: listenport=80 connectaddress=172.28.241.140 connectport=80 protocol=tcp'
        $any = (Get-SimFirewall)['WslPortProxy-TCP-::-80']
        $any.RemoteAddress | Should -Be @('2001:db8::/32')
        $any.LocalAddress | Should -Be @('Any')
        $any.DisplayName | Should -Be 'WSL port proxy: TCP 80 on IPv6 to WSL 80'
        $one = (Get-SimFirewall)['WslPortProxy-TCP-2001:db8::12-8443']
        $one.LocalAddress | Should -Be @('2001:db8::12')
        $state = Get-Content -Raw (Join-Path $global:WslppSim.ProgramData 'WslPortProxy/state.json') | ConvertFrom-Json
        $names = [string[]] @($state.portProxy.PSObject.Properties.Name)
        [Array]::Sort($names, [StringComparer]::Ordinal)
        $names | Should -Be @('0.0.0.0/80', '2001:db8::12/8443', '::/80')
    }

    It 'rewrites the v6tov4 rules in place when WSL restarts with a new address' {
        Invoke-Run | Should -Be 0
        Set-SimWsl @{ 'podman-machine-default' = @{ ip = '172.28.7.7' } }
        Clear-SimCall
        Invoke-Run | Should -Be 0
        (Get-SimPortProxyV6)['::/80'] | Should -Be '172.28.7.7/80'
        @(Get-SimNetshCommand | Where-Object { $_ -like '*v6tov4*' }) | Should -Be @(
            'interface portproxy set v6tov4 listenaddress=:: listenport=80 connectaddress=172.28.7.7 connectport=80 protocol=tcp'
            'interface portproxy set v6tov4 listenaddress=2001:db8::12 listenport=8443 connectaddress=172.28.7.7 connectport=443 protocol=tcp')
    }

    It 'reads a rule whose IPv6 address the registry spells otherwise as the same rule' {
        Set-SimPortProxyV6 @{ '2001:DB8:0:0::12/8443' = '172.28.241.140/443' }
        Invoke-Run | Should -Be 0
        @(Get-SimNetshCommand | Where-Object { $_ -like '*8443*' }) | Should -HaveCount 0   # already right: adopted
        (Get-SimPortProxyV6)['2001:DB8:0:0::12/8443'] | Should -Be '172.28.241.140/443'
    }

    It 'touches only its own v6tov4 rules, and -Remove deletes them' {
        Set-SimPortProxyV6 @{ '::/9000' = '10.9.9.9/9000' }
        Invoke-Run | Should -Be 0
        Invoke-Run -Parameters @{ Remove = $true } | Should -Be 0
        @((Get-SimPortProxyV6).Keys) | Should -Be @('::/9000')
        (Get-SimPortProxyV6)['::/9000'] | Should -Be '10.9.9.9/9000'
        (Get-SimFirewall).Keys | Should -Not -Contain 'WslPortProxy-TCP-::-80'
        Get-SimNetshCommand | Should -Contain 'interface portproxy delete v6tov4 listenaddress=:: listenport=80'
    }

    It '-Status checks the IPv6 listeners too, written [address]:port' {
        Invoke-Run | Should -Be 0
        Write-SimState 'network.json' @{ category = 'DomainAuthenticated'; answering = @(80, 443); listening = @(@{ endpoint = '[::]:8443'; pid = 4 }) }
        $global:LASTEXITCODE = 0
        $rows = @(& $script:Update -Status 6>$null 3>$null)
        $LASTEXITCODE | Should -Be 9
        @($rows | ForEach-Object { '{0} {1} {2}' -f $_.Listener, $_.Rule, $_.Listening }) | Should -Be @(
            '0.0.0.0:80 ok True', '[::]:80 ok True', '[2001:db8::12]:8443 ok False')
        $rows[2].Problem | Should -BeLike '`[2001:db8::12`]:8443 is held by System (PID 4: HTTP.sys, e.g. IIS or WinRM)*'
        $rows[1].Firewall | Should -Be 'ok'
    }
}
